"""The accounts app's errors (every `PartnerCenterError` subclass of the app lives here)."""

from core.errors import PartnerCenterError


class LastGlobalAdmin(PartnerCenterError):
    status = 409
    code = 990010
    error_name = "LastGlobalAdmin"
