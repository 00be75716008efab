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

__all__ = [
    "Availability", "OfferComparison", "Product", "Sku", "AzurePlan", "AzureRole", "AzureSubscription", "Cart",
    "CartLineItem", "Order", "OrderLineItem", "RoleAssignment",
]
