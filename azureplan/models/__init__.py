from .catalog import Availability, OfferComparison, Product, Sku
from .commerce import (
    AzurePlan,
    AzureRole,
    AzureSubscription,
    Cart,
    CartLineItem,
    Order,
    OrderLineItem,
    RoleAssignment,
)
from .legacy import LegacyImport, LegacySubscription, ProductUpgrade, ProductUpgradeLine

__all__ = [
    "Availability", "OfferComparison", "Product", "Sku", "AzurePlan", "AzureRole", "AzureSubscription", "Cart",
    "CartLineItem", "Order", "OrderLineItem", "RoleAssignment", "LegacyImport", "LegacySubscription",
    "ProductUpgrade", "ProductUpgradeLine",
]
