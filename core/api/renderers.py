from rest_framework.renderers import JSONRenderer


class PartnerCenterJSONRenderer(JSONRenderer):
    """JSON as Partner Center sends it: `application/json; charset=utf-8`, non-ASCII kept."""

    charset = "utf-8"
    ensure_ascii = False
