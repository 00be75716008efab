"""Every read of ordering: a customer's carts and orders, for the pages and the API alike.

The role is checked here, once: reading carts and orders needs Perm.PURCHASE (the roles that may buy see what was
bought). Rows are scoped to the actor (core.tenancy: the selling partner, or the indirect reseller of record of a
customer still assigned to it), so a foreign id answers 404 like an unknown one, with Partner Center's code for
the resource (cart 800008, order 20000).
"""


from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.permissions import Perm, require
from core.errors import InvalidInput

from ..choices import BillingCycle, CartStatus
from ..errors import CartNotFound, OrderNotFound
from ..models import Cart, Order
from ..models.ordering import ALTERNATE_ID
from ..plans.selectors import one


def _carts(actor):
    return Cart.objects.select_related("customer", "created_by").prefetch_related(
        "line_items__availability__sku__product", "line_items__reseller",
        Prefetch("orders", queryset=Order.objects.for_actor(actor)))


def cart_get(*, actor, customer, cart_id) -> Cart:
    """404 800008 for an unknown cart."""
    require(actor, Perm.PURCHASE)
    return one(_carts(actor), actor, CartNotFound(parameters={"cartId": str(cart_id)}), customer=customer,
               public_id=str(cart_id).strip())


def cart_ref(*, actor, customer, cart_id) -> Cart:
    """The cart row alone (no line items): what a service that reads the cart again under its lock needs; 404
    800008 as cart_get."""
    require(actor, Perm.PURCHASE)
    cart = one(Cart.objects.all(), actor, CartNotFound(parameters={"cartId": str(cart_id)}), customer=customer,
               public_id=str(cart_id).strip())
    cart.customer = customer  # the one it was found under
    return cart


def open_carts(*, actor, customer) -> list[Cart]:
    """The customer's carts not ordered yet, newest first."""
    require(actor, Perm.PURCHASE)
    return list(Cart.objects.for_actor(actor).filter(customer=customer, status=CartStatus.ACTIVE)
                .order_by("-created_at")[:5])


def _orders():
    return Order.objects.select_related("customer", "reseller", "created_by", "cart").prefetch_related(
        "line_items__availability__sku__product", "line_items__plan")


ORDER_ORDERING = ("-created_at", "-id")


def order_list(*, actor, customer, billing_cycle=""):
    """The customer's orders, newest first (a queryset: the pages page it, the API lists it); `billing_cycle`
    (Partner Center's billingType filter) in any case."""
    require(actor, Perm.PURCHASE)
    orders = _orders().for_actor(actor).filter(customer=customer)
    cycle = (billing_cycle or "").strip().lower()
    if cycle:
        if cycle not in BillingCycle.values:
            raise InvalidInput(_("billingType must be one of: %(values)s.") % {"values": ", ".join(BillingCycle.values)},
                               field="billingType")
        orders = orders.filter(billing_cycle=cycle)
    return orders.order_by(*ORDER_ORDERING)


def order_get(*, actor, customer, order_id) -> Order:
    """By the order id (`id`) or its 12-character `alternateId`; 404 20000 for an unknown order."""
    require(actor, Perm.PURCHASE)
    value = str(order_id).strip()
    lookup = {"alternate_id": value.lower()} if ALTERNATE_ID.fullmatch(value) else {"public_id": value}
    return one(_orders(), actor, OrderNotFound(parameters={"orderId": value}), customer=customer, **lookup)
