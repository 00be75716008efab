"""Every read of the Azure plan: a customer's Azure plans (Partner Center subscriptions), their Azure subscriptions
(Azure entitlements) and role assignments, for the pages and the API alike.

The role is checked here, once: Perm.VIEW_AZURE_PLAN (Global admin, Admin agent, Sales agent). Rows are scoped to
the actor (core.tenancy with azureplan.models.scoping: the selling partner, or the indirect reseller of record of a
customer still assigned to it), so a foreign id answers 404 like an unknown one, with Partner Center's code for the
resource (subscription 20003, Azure entitlement 800111). The API finds the customer first and passes it; the pages
look a row up by its own id.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.permissions import Perm, require
from core.errors import NotFound

from ..errors import EntitlementNotFound, SubscriptionNotFound
from ..models import AzurePlan, AzureSubscription, Order, RoleAssignment
from ..models.ordering import ALTERNATE_ID


def one(queryset, actor, error, **lookup):
    """One row of `queryset` the actor may see; an unknown, foreign or malformed id raises `error` (a 404)."""
    try:
        return queryset.for_actor(actor).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise error from None


def _check(actor):
    require(actor, Perm.VIEW_AZURE_PLAN)


def _assignments():
    return RoleAssignment.objects.select_related("role", "partner", "created_by").order_by("granted_at", "id")


def _subscriptions():
    return (AzureSubscription.objects.select_related("plan__customer__organisation", "plan__reseller", "reseller")
            .prefetch_related(Prefetch("role_assignments", queryset=_assignments())).order_by("created_at", "id"))


def _plans():
    return AzurePlan.objects.select_related("customer", "reseller", "order")


PLAN_ORDERING = ("created_at", "id")


def plan_list(*, actor, customer, order_id="", partner_id="") -> list[AzurePlan]:
    """The customer's Azure plans, oldest first; Partner Center's `order_id` and `mpn_id` filters (an unknown
    order or PartnerID gives an empty list)."""
    return list(plan_rows(actor=actor, customer=customer, order_id=order_id, partner_id=partner_id))


def plan_rows(*, actor, customer, order_id="", partner_id=""):
    """plan_list as a queryset (sorted by PLAN_ORDERING), for seek paging."""
    _check(actor)
    plans = _plans().for_actor(actor).filter(customer=customer)
    order_id, partner_id = (order_id or "").strip(), (partner_id or "").strip()
    if order_id:
        if ALTERNATE_ID.fullmatch(order_id):
            plans = plans.filter(order__alternate_id=order_id.lower())
        else:
            try:
                plans = plans.filter(order__public_id=uuid.UUID(order_id))
            except ValueError:
                return plans.none()  # a malformed order id matches nothing, as an unknown one
    if partner_id:
        plans = plans.filter(reseller__partner_id=partner_id)
    return plans.order_by(*PLAN_ORDERING)


def customer_plans(*, actor, customer) -> list[AzurePlan]:
    """The customer page's plans (one per reseller of record; cancelled ones too), each with its Azure subscriptions
    and their role assignments (for the role summary and the PEC status)."""
    _check(actor)
    return list(_plans().for_actor(actor).filter(customer=customer)
                .prefetch_related(Prefetch("azure_subscriptions", queryset=_subscriptions()))
                .order_by("created_at", "id"))


def plan_get(*, actor, subscription_id, customer=None) -> AzurePlan:
    """404 20003 for an unknown subscription (of `customer` when given)."""
    _check(actor)
    lookup = {"customer": customer} if customer is not None else {}
    return one(_plans(), actor, SubscriptionNotFound(parameters={"subscriptionId": str(subscription_id)}),
               public_id=str(subscription_id).strip(), **lookup)


AZURE_SUBSCRIPTION_ORDERING = ("created_at", "id")


def azure_subscription_list(*, actor, plan) -> list[AzureSubscription]:
    """Every Azure subscription of the plan, deleted ones included (status `deleted`)."""
    return list(azure_subscription_rows(actor=actor, plan=plan))


def azure_subscription_rows(*, actor, plan):
    """azure_subscription_list as a queryset (sorted by AZURE_SUBSCRIPTION_ORDERING), for seek paging."""
    _check(actor)
    return _subscriptions().for_actor(actor).filter(plan=plan).order_by(*AZURE_SUBSCRIPTION_ORDERING)


def azure_subscription_get(*, actor, entitlement_id, plan=None) -> AzureSubscription:
    """404 800111 for an unknown Azure entitlement (Azure subscription id), of `plan` when given."""
    _check(actor)
    lookup = {"plan": plan} if plan is not None else {}
    return one(_subscriptions(), actor, EntitlementNotFound(parameters={"entitlementId": str(entitlement_id)}),
               subscription_id=str(entitlement_id).strip(), **lookup)


def azure_subscriptions_of_plan(*, actor, plan, subscription_ids) -> list[AzureSubscription]:
    """The plan's Azure subscriptions named by id (a malformed, foreign or unknown id is left out)."""
    _check(actor)
    ids = []
    for value in subscription_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return list(AzureSubscription.objects.for_actor(actor).filter(plan=plan, subscription_id__in=ids)
                .order_by("created_at", "id"))


def role_assignment_list(*, actor, sub, include_removed=False) -> list[RoleAssignment]:
    """The roles held on an Azure subscription, oldest first; removed ones only with `include_removed`."""
    _check(actor)
    rows = RoleAssignment.objects.for_actor(actor).filter(azure_subscription=sub).select_related(
        "role", "partner", "azure_subscription")
    if not include_removed:
        rows = rows.filter(removed_at__isnull=True)
    return list(rows.order_by("granted_at", "id"))


def role_assignment_get(*, actor, assignment_id, sub=None) -> RoleAssignment:
    """404 1000 for an unknown role assignment (of `sub` when given)."""
    _check(actor)
    lookup = {"azure_subscription": sub} if sub is not None else {}
    return one(RoleAssignment.objects.select_related("role", "partner", "azure_subscription__plan__customer"), actor,
               NotFound(_("Role assignment not found."), parameters={"roleAssignmentId": str(assignment_id)}),
               public_id=str(assignment_id).strip(), **lookup)


def customer_order_count(*, actor, customer) -> int:
    """How many orders the customer has (the Azure plan section links to them); Perm.PURCHASE, as ordering's reads."""
    require(actor, Perm.PURCHASE)
    return Order.objects.for_actor(actor).filter(customer=customer).count()
