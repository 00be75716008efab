"""Every Partner Center error azureplan raises (api reference §5, §8.2 and the 9001xx codes of product upgrades)."""

from django.utils.translation import gettext_lazy as _

from core.errors import NotFound, PartnerCenterError


class ProductNotFound(PartnerCenterError):
    status = 404
    code = 400013
    error_name = "ProductNotFound"
    default_description = _("Product wasn't found.")


class SkuNotFound(PartnerCenterError):
    status = 404
    code = 400018
    error_name = "SkuNotFound"
    default_description = _("SKU wasn't found.")


class AvailabilityNotFound(PartnerCenterError):
    status = 404
    code = 400019
    error_name = "AvailabilityNotFound"
    default_description = _("Availability not found. Read the SKU's availabilities again for the current "
                            "availability id and retry.")


class TargetSegmentNotAllowed(PartnerCenterError):
    status = 403
    code = 400030
    error_name = "TargetSegmentNotAllowed"
    default_description = _("This target segment is not allowed.")


class TargetViewNotAllowed(PartnerCenterError):
    status = 403
    code = 400036
    error_name = "TargetViewNotAllowed"
    default_description = _("This target view is not allowed.")


class OfferNotAvailableInCountry(PartnerCenterError):
    """400 / 800070: a catalog item of another country (the availability exists, but not for this customer's
    country). Raised by availability_by_catalog_item_id for the ordering flow."""

    status = 400
    code = 800070
    error_name = "OfferNotAvailableInCountry"
    default_description = _("Offer isn't available in the specified country/region.")


class CartNotFound(NotFound):
    status = 404
    code = 800008
    error_name = "CartNotFound"
    default_description = _("Cart id not found.")


class CartItemError(PartnerCenterError):
    """400 / 800009: a line item breaks a rule; `parameters.lineItem` names it."""

    status = 400
    code = 800009
    error_name = "CartItemError"
    default_description = _("Error in cart item(s).")


class CartBeingProcessed(PartnerCenterError):
    status = 409
    code = 800064
    error_name = "CartBeingProcessed"
    is_retryable = True
    default_description = _("The cart is being processed by another request.")


class CartAlreadySubmitted(PartnerCenterError):
    status = 400
    code = 800065
    error_name = "CartAlreadySubmitted"
    default_description = _("The cart was already submitted.")


class AzurePlanExists(PartnerCenterError):
    status = 403
    code = 800066
    error_name = "SubscriptionLimitExceeded"
    default_description = _("The customer already has an Azure plan with this reseller of record.")


class LegacyAzurePresent(PartnerCenterError):
    """An Azure plan is refused while the partner's legacy Azure subscriptions of the customer are active. Partner
    Center documents no code for this (its 900128 means "a SaaS metered plan needs an Azure plan"), so the code is one
    of ours (docs/api.md)."""

    status = 403
    code = 990050
    error_name = "LegacyAzureSubscriptionsPresent"


class OrderNotFound(NotFound):
    status = 404
    code = 20000
    error_name = "OrderNotFound"
    default_description = _("Order ID not found.")


class SubscriptionNotFound(NotFound):
    status = 404
    code = 20003
    error_name = "SubscriptionNotFound"
    default_description = _("Subscription not found.")


class PlanHasActiveSubscriptions(PartnerCenterError):
    status = 403
    code = 900115
    error_name = "AzurePlanHasActiveSubscriptions"


class SubscriptionStatusNotChangeable(PartnerCenterError):
    status = 400
    code = 800096
    error_name = "SubscriptionStatusNotChangeable"


class EntitlementNotFound(NotFound):
    status = 404
    code = 800111
    error_name = "AzureEntitlementNotFound"
    default_description = _("Azure entitlement not found.")


class InvalidCancellationReason(PartnerCenterError):
    status = 400
    code = 900307
    error_name = "InvalidCancellationReason"


class CannotReactivate(PartnerCenterError):
    status = 400
    code = 900337
    error_name = "AzureEntitlementCannotBeReactivated"


class TooManyInOneSubmit(PartnerCenterError):
    status = 400
    code = 990030
    error_name = "TooManyAzureSubscriptions"


# ---------------------------------------------------------------- legacy Azure and its transition (codes 9001xx)


class UpgradeError(PartnerCenterError):
    status = 403
    code = 900120
    error_name = "CannotProcessAzureUpgrade"
    default_description = _("Can't process the Azure upgrade.")


class UpgradeNotFound(NotFound):
    status = 404
    code = 900106
    error_name = "UpgradeNotFound"
    default_description = _("No upgrade request was found.")


class LegacyImportInvalid(PartnerCenterError):
    """400 / 800002 with `data`: one {line, field, reason} per bad row; nothing was imported."""

    status = 400
    code = 800002
    error_name = "LegacyImportInvalid"

