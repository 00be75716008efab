"""Every write of ordering: carts, checkout and orders, and provisioning (which activates the Azure plan and
creates its first Azure subscription through azureplan.plans.services).

Rules (domain.md §2.6-§2.8, §3.2) are enforced here, for the pages and the API alike: relationship (20002) and
MCA (13605) through agreements.services.purchase_gate; quantity exactly 1; the Azure plan line's `friendlyName`
(optional, at most 128 characters, as the PowerShell module's purchase body sends it) names the plan; one plan per
customer per reseller of record (a partial unique index decides between concurrent checkouts); no plan while legacy
Azure is active (the counters legacy registers); the reseller of record named by an indirect provider is one of
its resellers."""

from datetime import timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from accounts.permissions import Perm, require
from agreements.services import purchase_gate
from core.api.etag import check_etag
from core.audit import audit_event, audit_record, audit_record_many
from core.casing import match_choice
from core.errors import InvalidInput, PartnerCenterError
from core.status import status_move
from core.tenancy import get_for_actor_or_404

from .. import errors
from ..catalog.selectors import availability_by_catalog_item_id
from ..choices import (
    CartStatus,
    OrderStatus,
    PlanStatus,
)
from ..models import AzurePlan, Cart, CartLineItem, Order, OrderLineItem
from ..plans import services as plan_services
from ..registry import purchase_checks

AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"
CART_LIFETIME = timedelta(days=7)

# azureplan.legacy registers `f(customer, organisation) -> int` in AppConfig.ready(): the active legacy
# MS-AZR-0145P subscriptions the partner has for the customer. A plan is refused while any is active.
LEGACY_AZURE_COUNTERS = []


# ---------------------------------------------------------------- carts and orders


def _check_line(customer, organisation, item, line):
    availability = availability_by_catalog_item_id(item.get("catalog_item_id"), customer.country,
                                                   field="catalogItemId")
    if not availability.is_purchasable:
        raise errors.CartItemError(
            _("Line %(n)s: the legacy Azure offer (MS-AZR-0145P) can no longer be bought. Buy the Azure plan "
              "(DZH318Z0BPS6) instead; existing legacy subscriptions move to it by a transition.") % {"n": line},
            field="catalogItemId", parameters={"lineItem": line, "cartErrorCode": 500600})
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not (
            availability.sku.minimum_quantity <= quantity <= availability.sku.maximum_quantity):
        raise errors.CartItemError(
            _("Line %(n)s: the quantity of %(title)s must be %(min)s.") % {
                "n": line, "title": availability.sku.title, "min": availability.sku.minimum_quantity},
            field="quantity", parameters={"lineItem": line, "cartErrorCode": 10010})
    name = (item.get("friendly_name") or "").strip()
    if len(name) > 128:
        raise errors.CartItemError(
            _("Line %(n)s: the friendly name is at most 128 characters.") % {"n": line}, field="friendlyName",
            parameters={"lineItem": line, "cartErrorCode": 10010})
    raw_cycle = item.get("billing_cycle") or "one_time"
    # Json.NET reads the enum in any case and spelling (OneTime, ONE_TIME); we answer Partner Center's one_time.
    cycle = match_choice(raw_cycle, availability.sku.supported_billing_cycles) if isinstance(raw_cycle, str) else None
    if cycle is None:
        raise errors.CartItemError(
            _("Line %(n)s: the billing cycle must be one of %(cycles)s.") % {
                "n": line, "cycles": ", ".join(availability.sku.supported_billing_cycles)},
            field="billingCycle", parameters={"lineItem": line, "cartErrorCode": 10013})
    reseller = plan_services.reseller_of_record(organisation, item.get("reseller"), line)
    return availability, quantity, cycle, reseller


def _customer_and_org(actor, customer):
    require(actor, Perm.PURCHASE)
    from customers.models import Customer
    from customers.selectors import found_for

    if not found_for(customer, actor):
        # One query: the customer as the actor sees it, with its country (the catalog lookup) and its organisation
        # with the organisation's country (the billing currency of the credit check). A customer the API found
        # for this actor a moment ago (customers.selectors.customer_get, the same select) is not read twice.
        customer = get_for_actor_or_404(Customer.objects.select_related("country__region", "organisation__country"),
                                        actor, pk=customer.pk)
    organisation = customer.organisation
    if actor.organisation_id != organisation.pk:
        # An indirect reseller does not buy itself: its indirect provider does, naming it.
        raise errors.CartItemError(_("Your indirect provider places orders for this customer."), status=403,
                                   code=2032, error_name="AccessDenied")
    return customer, organisation


def _validate_items(customer, organisation, items):
    if not isinstance(items, list) or not items:
        raise InvalidInput(_("lineItems must list at least one item."), field="lineItems")
    if len(items) > 50:
        raise InvalidInput(_("A cart holds at most 50 line items."), field="lineItems")
    return [_check_line(customer, organisation, item, index) for index, item in enumerate(items)]


def cart_create(*, actor, customer, items) -> Cart:
    customer, organisation = _customer_and_org(actor, customer)
    lines = _validate_items(customer, organisation, items)
    now = timezone.now()
    with transaction.atomic():
        cart = Cart.objects.create(customer=customer, created_by_id=actor.user_id, created_at=now, updated_at=now,
                                   expires_at=now + CART_LIFETIME)
        written = _write_lines(cart, lines, items)
        audit_record(actor=actor, action="cart.created", obj=cart, subject=customer)
    # The rows as written (a caller answering with the cart reads nothing again: azureplan.ordering.api).
    cart._prefetched_objects_cache = {"line_items": written}
    return cart


def _write_lines(cart, lines, items):
    return CartLineItem.objects.bulk_create(
        CartLineItem(cart=cart, line_number=index, availability=availability,
                     catalog_item_id=availability.catalog_item_id, quantity=quantity, billing_cycle=cycle,
                     reseller=reseller, friendly_name=(items[index].get("friendly_name") or "").strip()[:128],
                     order_group=str(reseller.partner_id if reseller else "0"))
        for index, (availability, quantity, cycle, reseller) in enumerate(lines))


def cart_update(*, actor, cart, items, expected_etag=None) -> Cart:
    customer, organisation = _customer_and_org(actor, cart.customer)
    lines = _validate_items(customer, organisation, items)
    with transaction.atomic():
        cart = get_for_actor_or_404(Cart.objects.select_for_update(of=("self",)), actor, pk=cart.pk)
        check_etag(cart, expected_etag)
        if cart.status != CartStatus.ACTIVE:
            raise errors.CartAlreadySubmitted()
        cart.line_items.all().delete()
        _write_lines(cart, lines, items)
        cart.updated_at = timezone.now()
        cart.version += 1
        cart.save()
        audit_record(actor=actor, action="cart.updated", obj=cart, subject=customer)
    return cart


def _gates(customer, organisation, *, upgrade=None, lines=()):
    """The purchase gates. A transition's own purchase (`upgrade`) passes the legacy Azure gate: buying the plan
    that the legacy subscriptions move to is what the transition is for, and the checks later apps register
    (azureplan.registry.register_purchase_check: billing's credit limit), as a conversion of running consumption
    is no new purchase (domain.md §3.9.3)."""
    purchase_gate(customer=customer)
    if upgrade is not None:
        return
    _legacy_gate(customer, organisation)
    for check in purchase_checks():
        check(customer=customer, organisation=organisation, lines=lines)


def legacy_gate(customer, organisation):
    """LegacyAzurePresent while the customer still has active legacy Azure subscriptions from `organisation` (the
    customer page says so before the cart, as the checkout would)."""
    _legacy_gate(customer, organisation)


def _legacy_gate(customer, organisation):
    legacy = sum(counter(customer, organisation) for counter in LEGACY_AZURE_COUNTERS)
    if legacy:
        raise errors.LegacyAzurePresent(
            ngettext("%(customer)s still has %(n)s active legacy Azure (MS-AZR-0145P) subscription from you. Move it "
                     "to the Azure plan with a transition instead of buying a new plan.",
                     "%(customer)s still has %(n)s active legacy Azure (MS-AZR-0145P) subscriptions from you. Move "
                     "them to the Azure plan with a transition instead of buying a new plan.", legacy)
            % {"customer": customer.company_name, "n": legacy})


def _place_orders(*, actor, customer, organisation, cart, lines, friendly_names, upgrade=None, events=None):
    """Create one order per order group (reseller of record) and reserve its Azure plan; the partial
    unique index refuses a second plan for the same customer and reseller, even under concurrency.

    The orders come back with what they were written with (customer, reseller, line items, plans, availabilities),
    so the answer reads nothing again. Audit events go to `events` when the caller writes them with its own
    (audit_record_many), else they are written here in one INSERT."""
    own_events = events is None
    events = [] if own_events else events
    groups = {}
    for index, line in enumerate(lines):
        groups.setdefault(line[3].pk if line[3] else None, []).append((index, line))
    orders = []
    for group in groups.values():
        reseller = group[0][1][3]
        order = Order.objects.create(customer=customer, cart=cart, reseller=reseller, created_by_id=actor.user_id,
                                     currency=group[0][1][0].currency, billing_cycle=group[0][1][2], upgrade=upgrade)
        order_lines = []
        for number, (index, (availability, quantity, _cycle, _reseller)) in enumerate(group):
            plan = None
            if availability.sku.product_id == AZURE_PLAN_PRODUCT:
                # The partial unique index (one plan per customer and reseller that is not cancelled) is the check:
                # a plan already there, or one written by a concurrent checkout, fails this INSERT alone.
                try:
                    with transaction.atomic():
                        plan = AzurePlan.objects.create(customer=customer, reseller=reseller, order=order,
                                                        offer_id=availability.catalog_item_id,
                                                        **({"friendly_name": friendly_names[index]}
                                                           if friendly_names[index] else {}))
                except IntegrityError:
                    raise errors.AzurePlanExists(_existing_plan_message(customer, reseller)) from None
                events.append(audit_event(actor=actor, action="azure_plan.ordered", obj=plan, subject=customer,
                                          data={"order": str(order.public_id),
                                                "reseller": reseller.partner_id if reseller else None}))
            order_lines.append(OrderLineItem(order=order, line_number=number, availability=availability,
                                             offer_id=availability.catalog_item_id, quantity=quantity,
                                             friendly_name=friendly_names[index], plan=plan))
        order._prefetched_objects_cache = {"line_items": OrderLineItem.objects.bulk_create(order_lines)}
        events.append(audit_event(actor=actor, action="order.created", obj=order, subject=customer,
                                  data={"reseller": reseller.partner_id if reseller else None,
                                        "cart": str(cart.public_id) if cart else None}))
        orders.append(order)
    if own_events:
        audit_record_many(events)
    from .tasks import provision_order

    for order in orders:
        provision_order.delay_on_commit(order.pk)
    return orders


def _existing_plan_message(customer, reseller):
    if reseller:
        return _("%(customer)s already has an Azure plan with %(reseller)s as reseller of record: one plan per customer "
                 "and reseller. Add Azure subscriptions to it instead.") % {"customer": customer.company_name,
                                                                          "reseller": reseller.name}
    return _("%(customer)s already has an Azure plan: one per customer. Add Azure subscriptions to it instead.") % {
        "customer": customer.company_name}


def cart_checkout(*, actor, cart, upgrade=None) -> list[Order]:
    """Check out once: a second checkout is 800065, one running at the same moment 800064. `upgrade`: the
    transition from legacy Azure that buys this plan (azureplan.legacy.transition)."""
    customer, organisation = _customer_and_org(actor, cart.customer)
    with transaction.atomic():
        try:
            cart = get_for_actor_or_404(Cart.objects.select_for_update(nowait=True, of=("self",)), actor, pk=cart.pk)
        except DatabaseError:
            raise errors.CartBeingProcessed() from None
        if cart.status != CartStatus.ACTIVE:
            raise errors.CartAlreadySubmitted()
        if cart.expires_at <= timezone.now():
            raise errors.CartNotFound(_("The cart expired. Create a new one."))
        items = list(cart.line_items.select_related("availability__sku__product", "reseller"))
        lines = [(i.availability, i.quantity, i.billing_cycle, i.reseller) for i in items]
        _gates(customer, organisation, upgrade=upgrade, lines=lines)
        events = []
        orders = _place_orders(actor=actor, customer=customer, organisation=organisation, cart=cart, lines=lines,
                               friendly_names=[i.friendly_name for i in items], upgrade=upgrade, events=events)
        cart.checked_out_at = timezone.now()
        cart.version += 1
        # The cart's row is locked above (select_for_update) and its status was read under that lock.
        status_move(cart, CartStatus.ORDERED, fields=("checked_out_at", "version"), locked=True)
        events.append(audit_event(actor=actor, action="cart.checked_out", obj=cart, subject=customer,
                                  data={"orders": [str(o.public_id) for o in orders]}))
        audit_record_many(events)
    return orders


def order_create(*, actor, customer, items) -> Order:
    """POST /v1/customers/{id}/orders: the same rules as a cart, without the cart."""
    customer, organisation = _customer_and_org(actor, customer)
    lines = _validate_items(customer, organisation, items)
    with transaction.atomic():
        _gates(customer, organisation, lines=lines)
        orders = _place_orders(actor=actor, customer=customer, organisation=organisation, cart=None, lines=lines,
                               friendly_names=[(i.get("friendly_name") or "").strip()[:128] for i in items])
        if len(orders) != 1:  # inside the transaction: the orders placed above are rolled back
            raise InvalidInput(_("An order has one reseller of record: send one order per reseller."),
                               field="lineItems")
    return orders[0]


def order_provision(order_id) -> Order:
    """Run by the Celery task: activate the order's Azure plan(s), create each plan's first Azure
    subscription with the partner's Admin agents as Owner (AOBO), complete the order. Safe to run
    twice: a completed order is left alone, and each step checks what already exists. A Partner Center
    error fails the order (its plans are cancelled); any other exception propagates and changes nothing."""
    from accounts.actors import system_actor

    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order_id)
        if order.status != OrderStatus.PENDING:
            return order
        organisation = Organisation.objects.get(pk=order.customer.organisation_id)
        actor = system_actor(organisation, label="provisioning")
        try:
            with transaction.atomic():
                for line in order.line_items.select_related("plan"):
                    if line.plan_id:
                        plan = AzurePlan.objects.select_for_update().get(pk=line.plan_id)
                        if plan.status == PlanStatus.PENDING:
                            plan.activated_at = timezone.now()
                            plan_services.move_plan(plan, PlanStatus.ACTIVE, fields=("activated_at",))
                            audit_record(actor=actor, action="azure_plan.activated", obj=plan,
                                         subject=order.customer)
                        if plan.status != PlanStatus.ACTIVE:
                            raise errors.SubscriptionStatusNotChangeable(
                                _("The Azure plan of this order is %(status)s; it was not provisioned.")
                                % {"status": plan.get_status_display().lower()})
                        if not order.upgrade_id and not plan.azure_subscriptions.exists():
                            plan_services.create_azure_subscription(actor=actor, plan=plan, name="Azure subscription 1",
                                                       reseller=plan.reseller)
                    line.fulfilled = True
                    line.save(update_fields=["fulfilled"])
        except PartnerCenterError as exc:
            # A refusal (the plan is no longer provisionable...) fails the order with its reason. Anything else is a
            # bug or an outage: it propagates, the transaction rolls back and the order stays pending for a retry.
            order.error_reason = str(exc)[:2000]
            status_move(order, OrderStatus.FAILED, fields=("error_reason",))
            for plan in AzurePlan.objects.select_for_update().filter(order=order, status=PlanStatus.PENDING):
                plan.cancelled_at = timezone.now()
                plan.version += 1
                plan_services.move_plan(plan, PlanStatus.CANCELLED, fields=("cancelled_at", "version"))
                audit_record(actor=actor, action="azure_plan.cancelled", obj=plan, subject=order.customer,
                             data={"reason": "order failed"})
            audit_record(actor=actor, action="order.failed", obj=order, subject=order.customer,
                         data={"reason": order.error_reason})
            return order
        order.completed_at = timezone.now()
        status_move(order, OrderStatus.COMPLETED, fields=("completed_at",))
        audit_record(actor=actor, action="order.completed", obj=order, subject=order.customer)
    return order
