import re

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def apply_error(form, error):
    """Show a service's PartnerCenterError beside the form field it names (else at the top)."""
    field = (error.field or "").split(".")[-1]  # "billingProfile.defaultAddress.city" -> "city"
    name = _CAMEL.sub("_", field).lower() if field else None
    if name in form.fields:
        form.add_error(name, str(error.description))
    elif field in form.fields:
        form.add_error(field, str(error.description))
    else:
        form.add_error(None, str(error.description))
    return form
