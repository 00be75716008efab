"""The customers app's errors (every `PartnerCenterError` subclass of the app lives here)."""

from core.errors import PartnerCenterError


class CustomerError(PartnerCenterError):
    """400 with Partner Center's customer validation codes (600049, 600050, 600051, 600002)."""


class NoCommerceRelationship(PartnerCenterError):
    status = 403
    code = 20002
    error_name = "NoCommerceRelationship"


class OutsideMarket(PartnerCenterError):
    status = 400
    code = 2030
    error_name = "PartnerNotOnboardedInCountry"


class ActiveSubscriptions(PartnerCenterError):
    status = 409
    code = 990020
    error_name = "ActiveSubscriptionsExist"


class InvitationInvalid(PartnerCenterError):
    status = 400
    code = 990021
    error_name = "InvitationNotValid"
