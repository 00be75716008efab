from .catalog import Availability, AzureRole, OfferComparison, Product, Sku
from .legacy import LegacyImport, LegacySubscription, ProductUpgrade, ProductUpgradeLine
from .ordering import Cart, CartLineItem, Order, OrderLineItem
from .plans import AzurePlan, AzureSubscription, RoleAssignment

__all__ = [
    "Availability", "OfferComparison", "Product", "Sku", "AzurePlan", "AzureRole", "AzureSubscription", "Cart",
    "CartLineItem", "Order", "OrderLineItem", "RoleAssignment", "LegacyImport", "LegacySubscription",
    "ProductUpgrade", "ProductUpgradeLine",
]
