"""Address rules per country: the state or province and the postal code (data in customers/data/address_rules.json).

One function, `address_errors`, used by the customer service (create, billing profile update, invitation
acceptance) and by POST /v1/validations/address, so the API, the address validation route and the pages say the same
thing. It returns every problem at once, each with the wire name of the field, so a page can show them all beside
their fields.
"""

import functools
import json
import re
from pathlib import Path

from django.utils.translation import gettext as _

DATA_FILE = Path(__file__).resolve().parent / "data" / "address_rules.json"
ADDR = "billingProfile.defaultAddress."
STATE_MAX = 3
POSTAL_MAX = 20
_GENERIC_STATE = re.compile(r"^[A-Za-z0-9]{1,3}$", re.ASCII)
_GENERIC_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,18}[A-Za-z0-9]?$", re.ASCII)


@functools.cache
def rules() -> dict:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))["countries"]
    for rule in data.values():
        if rule.get("postal_code"):
            rule["_postal_re"] = re.compile(rule["postal_code"], re.ASCII)
    return data


def country_rule(code) -> dict:
    return rules().get((code or "").strip().upper(), {})


def states_of(code) -> dict:
    """{code: name} of the country's states or provinces (empty when we hold no list)."""
    return dict(country_rule(code).get("states") or {})


def _format_postal(rule, postal):
    """Partner Center's spelling of a valid postal code: K1A0B1 -> K1A 0B1, 01310100 -> 01310-100."""
    pattern = rule.get("postal_format")
    if not pattern:
        return postal
    digits = postal.replace(" ", "").replace("-", "")
    if len(digits) != sum(1 for ch in pattern if ch in "9A"):
        return postal
    out, index = [], 0
    for ch in pattern:
        if ch in "9A":
            out.append(digits[index])
            index += 1
        else:
            out.append(ch)
    return "".join(out)


def address_errors(*, country, state, postal_code, prefix=ADDR):
    """Check the state and postal code against the country's rules.

    Returns (clean, errors): clean = {"state", "postal_code"} in their stored spelling (upper case, the country's
    usual separators), errors = [(wire field, message)] — every problem, empty when the address passes. `country` is
    an ISO code already known to be valid.
    """
    rule = country_rule(country)
    errors = []
    state = (state or "").strip().upper()
    postal = re.sub(r"\s+", " ", (postal_code or "").strip().upper())
    states = rule.get("states") or {}
    if states:
        if not state:
            errors.append((prefix + "state", _("Choose the state or province: it is required for an address in this "
                                               "country (e.g. %(example)s).") % {"example": next(iter(states))}))
        elif state not in states:
            errors.append((prefix + "state", _("%(state)s is not a state or province of this country. Use one of "
                                               "%(codes)s.") % {"state": state, "codes": ", ".join(sorted(states))}))
    elif rule.get("state_required") and not state:
        errors.append((prefix + "state", _("The state or province is required for an address in this country.")))
    elif state and (len(state) > STATE_MAX or not _GENERIC_STATE.match(state)):
        errors.append((prefix + "state", _("The state or province is a code of at most 3 letters or digits "
                                           "(e.g. WA); leave it empty where there is none.")))
    if not postal:
        if rule.get("postal_required"):
            errors.append((prefix + "postalCode", _("The postal code is required for an address in this country "
                                                    "(e.g. %(example)s).") % {"example": rule.get("postal_example")}))
    elif rule.get("_postal_re") is not None:
        if not rule["_postal_re"].match(postal):
            errors.append((prefix + "postalCode", _("%(postal)s is not a valid postal code for this country: it "
                                                    "looks like %(example)s.")
                           % {"postal": postal, "example": rule.get("postal_example")}))
        else:
            postal = _format_postal(rule, postal)
    elif len(postal) > POSTAL_MAX or not _GENERIC_POSTAL.match(postal):
        errors.append((prefix + "postalCode", _("The postal code is at most 20 letters, digits, spaces or dashes.")))
    return {"state": state, "postal_code": postal}, errors


ADDRESS_FIELDS = (("addressLine1", "address_line1"), ("addressLine2", "address_line2"), ("city", "city"),
                  ("state", "state"), ("postalCode", "postal_code"), ("country", "country"), ("region", "region"))


def address_validate(address):
    """POST /v1/validations/address: `address` has the service's field names. Returns (suggested, errors) with
    suggested = the address in its stored spelling and errors = [(wire field, message)], the same rules as a
    customer's billing address (address line 1 and city required, the state and postal code of the country)."""
    errors = []
    for key, wire, label in (("address_line1", "addressLine1", _("Address line 1")), ("city", "city", _("City"))):
        if not (address.get(key) or "").strip():
            errors.append((wire, _("%(field)s is required.") % {"field": label}))
    clean, problems = address_errors(country=address.get("country"), state=address.get("state"),
                                     postal_code=address.get("postal_code"), prefix="")
    errors.extend(problems)
    suggested = {key: (address.get(key) or "").strip() for _wire, key in ADDRESS_FIELDS}
    suggested.update(clean)
    suggested["country"] = (address.get("country") or "").strip().upper()
    return suggested, errors
