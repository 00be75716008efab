"""Every read of ordering and the Azure plan for the pages: a customer's plans with their Azure
subscriptions, carts, orders, one Azure subscription with its role assignments. Rows are found through
the actor's tenant scope (core.tenancy), so a foreign id answers 404 like a missing one; the role is
checked by the caller after the lookup (the pages answer 403 naming the roles)."""

from django.db.models import Prefetch

from core.tenancy import get_for_actor_or_404

from .choices import CartStatus
from .models import AzurePlan, AzureSubscription, Cart, Order, RoleAssignment


def _assignments():
    return RoleAssignment.objects.select_related("role", "partner").order_by("granted_at", "id")


def _subscriptions():
    return (AzureSubscription.objects.select_related("reseller", "plan__customer")
            .prefetch_related(Prefetch("role_assignments", queryset=_assignments())).order_by("created_at", "id"))


def customer_plans(*, actor, customer) -> list[AzurePlan]:
    """The customer's Azure plans (one per reseller of record; cancelled ones too), each with its Azure
    subscriptions and their role assignments (for the role summary and the PEC status)."""
    return list(AzurePlan.objects.for_actor(actor).filter(customer=customer)
                .select_related("reseller", "order", "customer")
                .prefetch_related(Prefetch("azure_subscriptions", queryset=_subscriptions()))
                .order_by("created_at", "id"))


def plan_get(*, actor, public_id) -> AzurePlan:
    return get_for_actor_or_404(AzurePlan.objects.select_related("customer", "reseller"), actor, public_id=public_id)


def azure_subscription_get(*, actor, subscription_id) -> AzureSubscription:
    return get_for_actor_or_404(
        AzureSubscription.objects.select_related("plan__customer__organisation", "plan__reseller", "reseller")
        .prefetch_related(Prefetch("role_assignments", queryset=_assignments().select_related("created_by"))),
        actor, subscription_id=subscription_id)


def azure_subscriptions_of_plan(*, actor, plan, subscription_ids) -> list[AzureSubscription]:
    """The plan's Azure subscriptions named by id (a malformed, foreign or unknown id is left out)."""
    import uuid

    ids = []
    for value in subscription_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return list(AzureSubscription.objects.for_actor(actor).filter(plan=plan, subscription_id__in=ids)
                .order_by("created_at", "id"))


def role_assignment_get(*, actor, public_id) -> RoleAssignment:
    return get_for_actor_or_404(RoleAssignment.objects.select_related("azure_subscription__plan__customer"), actor,
                                public_id=public_id)


def cart_get(*, actor, customer, public_id) -> Cart:
    return get_for_actor_or_404(
        Cart.objects.filter(customer=customer).select_related("customer", "created_by")
        .prefetch_related("line_items__availability__sku__product", "line_items__reseller",
                          Prefetch("orders", queryset=Order.objects.for_actor(actor))),
        actor, public_id=public_id)


def open_carts(*, actor, customer):
    """The customer's carts not ordered yet, newest first."""
    return Cart.objects.for_actor(actor).filter(customer=customer, status=CartStatus.ACTIVE).order_by("-created_at")


def order_list(*, actor, customer):
    return (Order.objects.for_actor(actor).filter(customer=customer)
            .select_related("reseller", "created_by")
            .prefetch_related("line_items__plan", "line_items__availability__sku__product").order_by("-created_at", "-id"))


def order_get(*, actor, customer, public_id) -> Order:
    return get_for_actor_or_404(
        Order.objects.filter(customer=customer).select_related("customer", "reseller", "created_by", "cart")
        .prefetch_related("line_items__plan", "line_items__availability__sku__product"),
        actor, public_id=public_id)


def azure_roles():
    """The Azure built-in roles (reference data), for the role picker."""
    from .models import AzureRole

    return list(AzureRole.objects.order_by("name"))
