"""Partner Center's catalog errors (api reference §5 and §8.2), raised by azureplan.selectors."""

from django.utils.translation import gettext_lazy as _

from core.errors import PartnerCenterError


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
