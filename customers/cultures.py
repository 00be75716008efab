"""A customer's culture (billingProfile.culture): a language and a country, as Partner Center writes them (en-US,
fr-FR, with an optional script: zh-Hans-CN). The language is an ISO 639-1 code (or one Django translates to); the
country one of the ISO 3166 countries in accounts' Country table."""

import re

from django.conf.locale import LANG_INFO

from accounts.models import Country

# ISO 639-1.
ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es
et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki
kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no
nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te
tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())
LANGUAGES = ISO_639_1 | {code.split("-")[0] for code in LANG_INFO} | {"fil"}

MAX_LENGTH = 10  # Customer.culture's column
_SHAPE = re.compile(r"([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?-([A-Za-z]{2})", re.ASCII)


def culture_clean(value):
    """The culture written as Partner Center does (en-US, zh-Hans-CN), or None when it is not one."""
    match = _SHAPE.fullmatch(value or "")
    if not match:
        return None
    language, script, country = match[1].lower(), match[2], match[3].upper()
    if language not in LANGUAGES or not Country.objects.filter(code=country).exists():
        return None
    culture = "-".join(filter(None, (language, script.title() if script else None, country)))
    # Customer.culture holds 10 characters: a three-letter language with a script (fil-Latn-PH, 11) is refused as
    # not a culture here rather than failing the write.
    return culture if len(culture) <= MAX_LENGTH else None
