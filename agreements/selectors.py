from django.utils.translation import gettext as _

from accounts.permissions import Perm, require

from .choices import AgreementType
from .models import Agreement, AgreementTemplate


def template_list(*, agreement_type=None):
    """`agreement_type` None: Partner Center's default (MicrosoftCloudAgreement); "*": all types."""
    qs = AgreementTemplate.objects.all()
    if agreement_type == "*":
        return qs
    return qs.filter(agreement_type=agreement_type or AgreementType.MICROSOFT_CLOUD_AGREEMENT)


def template_document(*, template_id, language=None, country=None):
    """Partner Center's AgreementDocument of a template: where to read and download it, for a language and country
    (defaults en-US and US). We publish no documents of our own: both links are the template's agreement link, which
    opens Microsoft's page for that agreement. Unknown template: 404; a malformed language or country: 400."""
    import re
    import uuid

    from accounts.models import Country
    from core.errors import InvalidInput, NotFound

    try:
        template = AgreementTemplate.objects.filter(template_id=uuid.UUID(str(template_id))).first()
    except ValueError:
        template = None
    if template is None:
        raise NotFound(_("No agreement template has the id %(id)s.") % {"id": template_id})
    language = (language or "en-US").strip()
    match = re.fullmatch(r"([A-Za-z]{2,3})(?:-([A-Za-z]{2}))?", language, re.ASCII)
    if not match:
        raise InvalidInput(_("language must look like en-US."), field="language")
    language = match.group(1).lower() + (f"-{match.group(2).upper()}" if match.group(2) else "")
    country = (country or "US").strip().upper()
    if not Country.objects.filter(code=country).exists():
        raise InvalidInput(_("%(code)s is not a known country code.") % {"code": country}, field="country")
    return {"displayUri": template.agreement_link, "downloadUri": template.agreement_link, "language": language,
            "country": country}


def mca_template_current():
    """The current Microsoft Customer Agreement template: versionRank 0 is the latest (api.md §7)."""
    return AgreementTemplate.objects.filter(agreement_type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT).order_by(
        "version_rank").first()


def agreement_list(*, actor, customer, agreement_type=None):
    require(actor, Perm.VIEW_CUSTOMERS)
    qs = Agreement.objects.for_actor(actor).filter(customer=customer).select_related("template", "attested_by")
    if agreement_type and agreement_type != "*":
        qs = qs.filter(agreement_type=agreement_type)
    return qs


def mca_confirmed_ids(customer_ids) -> set:
    """Which of these customers have a confirmed Microsoft Customer Agreement (for a list page; the
    per-customer rule is agreements.services.mca_confirmed)."""
    return set(Agreement.objects.filter(customer_id__in=list(customer_ids),
                                        agreement_type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT)
               .values_list("customer_id", flat=True).distinct())
