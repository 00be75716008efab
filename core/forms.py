import re

from django.utils.translation import gettext as _

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def apply_error(form, error):
    """Show a service's PartnerCenterError beside the form field it names (else at the top); when its `data` lists
    several `{field, message}`, each one beside its own field, all at once."""
    entries = [entry for entry in (getattr(error, "data", None) or [])
               if isinstance(entry, dict) and "message" in entry and "field" in entry]
    if not entries:
        entries = [{"field": error.field, "message": str(error.description)}]
    for entry in entries:
        _add(form, entry["field"], entry["message"])
    return form


def _add(form, wire_field, message):
    field = (wire_field or "").split(".")[-1]  # "billingProfile.defaultAddress.city" -> "city"
    name = _CAMEL.sub("_", field).lower() if field else None
    if name in form.fields:
        form.add_error(name, message)
    elif field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, message)


def error_text(error):
    return str(error.description) or _("Something went wrong.")
