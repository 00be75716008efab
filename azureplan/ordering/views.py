"""Ordering as pages: the cart and checkout, orders with their provisioning status.

Every rule is azureplan.ordering.services'; every read azureplan.ordering.selectors' (scoped to the actor: a
foreign id answers 404). GET changes nothing."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as account_selectors
from accounts.permissions import Perm, allowed
from accounts.views.portal import forbidden, form_post, portal_page
from core.errors import PartnerCenterError
from core.forms import apply_error
from customers import selectors as customer_selectors

from ..catalog import selectors as catalog_selectors
from ..choices import (
    AZURE_PLAN_PRODUCT_ID,
    AZURE_PLAN_SKU_ID,
    CartStatus,
    OrderStatus,
    PlanStatus,
)
from ..errors import ProductNotFound, SkuNotFound
from ..plans import selectors as plan_selectors
from ..plans.views import refusal, resellers_for
from . import selectors, services
from .forms import AddToCartForm

# ---------------------------------------------------------------- cart and checkout


def _plan_availability(customer):
    """The Azure plan as sold in the customer's country (None where it is not sold)."""
    try:
        rows = catalog_selectors.availability_list(product_id=AZURE_PLAN_PRODUCT_ID, sku_id=AZURE_PLAN_SKU_ID,
                                           country=customer.country_id)
    except (ProductNotFound, SkuNotFound):
        return None
    return rows[0] if rows else None


def _gate(customer):
    """The purchase gate (relationship, agreement) as a heads-up before the order is placed."""
    from agreements.services import purchase_gate

    try:
        purchase_gate(customer=customer)
    except PartnerCenterError as exc:
        return refusal(exc, customer)
    return None


def _render_cart_page(request, customer, form, *, error=None, status=200):
    availability = _plan_availability(customer)
    return render(request, "azureplan/cart.html", {
        "customer": customer, "availability": availability, "form": form, "error": error,
        "gate": _gate(customer),
        "plans": [p for p in plan_selectors.customer_plans(actor=request.actor, customer=customer)
                  if p.status != PlanStatus.CANCELLED] if allowed(request.actor, Perm.VIEW_AZURE_PLAN) else [],
        "open_carts": selectors.open_carts(actor=request.actor, customer=customer),
        "tab": "customers",
    }, status=status)


@require_http_methods(["GET", "POST"])
@portal_page(Perm.VIEW_CUSTOMERS)
def azure_plan_cart(request, tenant_id):
    """Put the Azure plan in a new cart for the customer (an indirect provider names the reseller of record)."""
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.PURCHASE):
        return forbidden(request, Perm.PURCHASE)
    organisation = account_selectors.organisation_get(actor=request.actor)
    form = AddToCartForm(request.POST if request.method == "POST" else None, resellers=resellers_for(organisation, customer),
                         initial_reseller=customer.reseller.partner_id if customer.reseller else "")
    error = None
    if request.method == "POST":
        availability = _plan_availability(customer)
        if availability is None:
            return _render_cart_page(request, customer, form, status=400)
        if form.is_valid():
            item = {"catalog_item_id": availability.catalog_item_id, "quantity": availability.sku.minimum_quantity,
                    "billing_cycle": (availability.sku.supported_billing_cycles or ["one_time"])[0],
                    "reseller": form.cleaned_data.get("participants") or None}
            try:
                cart = services.cart_create(actor=request.actor, customer=customer, items=[item])
            except PartnerCenterError as exc:
                if exc.field == "participants" and "participants" in form.fields:
                    apply_error(form, exc)  # beside the reseller picker
                else:
                    error = refusal(exc, customer)
            else:
                return redirect("azureplan:cart_detail", tenant_id=customer.tenant_id, public_id=cart.public_id)
        return _render_cart_page(request, customer, form, error=error, status=400)
    return _render_cart_page(request, customer, form)


def _render_cart(request, customer, cart, *, error=None, status=200):
    cart = selectors.cart_get(actor=request.actor, customer=customer, cart_id=cart.public_id)
    from django.utils import timezone

    return render(request, "azureplan/cart_detail.html", {
        "customer": customer, "cart": cart, "lines": list(cart.line_items.all()), "orders": list(cart.orders.all()),
        "expired": cart.expires_at <= timezone.now(), "ordered": cart.status == CartStatus.ORDERED,
        "gate": None if error else _gate(customer), "error": error, "tab": "customers",
    }, status=status)


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def cart_detail(request, tenant_id, public_id):
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    cart = selectors.cart_get(actor=request.actor, customer=customer, cart_id=public_id)
    if not allowed(request.actor, Perm.PURCHASE):
        return forbidden(request, Perm.PURCHASE)
    return _render_cart(request, customer, cart)


def _cart_home(request, tenant_id, public_id):
    """Where a reload of the checkout URL goes back to: the cart (a foreign id is still 404)."""
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    cart = selectors.cart_get(actor=request.actor, customer=customer, cart_id=public_id)
    return reverse("azureplan:cart_detail", args=[customer.tenant_id, cart.public_id])


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_cart_home)
def cart_checkout(request, tenant_id, public_id):
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    cart = selectors.cart_get(actor=request.actor, customer=customer, cart_id=public_id)
    if not allowed(request.actor, Perm.PURCHASE):
        return forbidden(request, Perm.PURCHASE)
    try:
        orders = services.cart_checkout(actor=request.actor, cart=cart)
    except PartnerCenterError as exc:
        return _render_cart(request, customer, cart, error=refusal(exc, customer), status=400)
    messages.success(request, _("The order was placed."))
    if len(orders) == 1:
        return redirect("azureplan:order_detail", tenant_id=customer.tenant_id, public_id=orders[0].public_id)
    return redirect("azureplan:order_list", tenant_id=customer.tenant_id)


# ---------------------------------------------------------------- orders


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def order_list(request, tenant_id):
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.PURCHASE):
        return forbidden(request, Perm.PURCHASE)
    from django.core.paginator import Paginator

    page = Paginator(selectors.order_list(actor=request.actor, customer=customer), 50).get_page(request.GET.get("page"))
    return render(request, "azureplan/order_list.html", {"customer": customer, "page": page, "tab": "customers"})


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def order_detail(request, tenant_id, public_id):
    """The order and its provisioning status; while pending, htmx asks for the status partial every 2 s."""
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    order = selectors.order_get(actor=request.actor, customer=customer, order_id=public_id)
    if not allowed(request.actor, Perm.PURCHASE):
        return forbidden(request, Perm.PURCHASE)
    context = {"customer": customer, "order": order, "lines": list(order.line_items.all()),
               "pending": order.status == OrderStatus.PENDING, "tab": "customers"}
    if request.htmx:
        return render(request, "azureplan/inc/order_progress.html", context)
    return render(request, "azureplan/order_detail.html", context)
