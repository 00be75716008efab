import re

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def apply_error(form, error):
    """Show a service's PartnerCenterError beside the form field it names (else at the top). An error whose
    `data` lists several refusals ({field, description}, e.g. every bad field of a customer) shows them all."""
    found = [item for item in getattr(error, "data", None) or []
             if isinstance(item, dict) and "field" in item and "description" in item]
    for field, description in ([(i["field"], i["description"]) for i in found]
                               or [(error.field, str(error.description))]):
        _add(form, field, description)
    return form


def _add(form, field, description):
    field = (field or "").split(".")[-1]  # "billingProfile.defaultAddress.city" -> "city"
    name = _CAMEL.sub("_", field).lower() if field else None
    if (name in form.fields and name in form.errors) or (field in form.fields and field in form.errors):
        return  # the form already says what is wrong with this field
    if name in form.fields:
        form.add_error(name, description)
    elif field in form.fields:
        form.add_error(field, description)
    else:
        form.add_error(None, description)

