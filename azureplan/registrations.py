"""What azureplan adds to the earlier apps (called from AzurePlanConfig.ready()): the Azure plan and legacy Azure
sections of the customer page, their activity lines, the Azure plan workspace, and the counters of active
subscriptions (the relationship removal and the purchase gate refuse while they count any)."""

from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts import navigation
from accounts.permissions import Perm
from customers import registry

from . import registry as azure_registry

ORDER = {
    "order.created": _("Order placed"),
    "order.completed": _("Order completed"),
    "order.failed": _("Order failed"),
}
AZURE_PLAN = {
    "azure_plan.activated": _("Azure plan active"),
    "azure_plan.renamed": _("Azure plan renamed"),
    "azure_plan.suspended": _("Azure plan suspended"),
    "azure_plan.reactivated": _("Azure plan reactivated"),
    "azure_plan.cancelled": _("Azure plan cancelled"),
}
AZURE_SUBSCRIPTION = {
    "azure_subscription.created": _("Azure subscription created"),
    "azure_subscription.renamed": _("Azure subscription renamed"),
    "azure_subscription.cancelled": _("Azure subscription cancelled"),
    "azure_subscription.reactivated": _("Azure subscription reactivated"),
    "azure_subscription.deleted": _("Azure subscription deleted (90 days after its cancellation)"),
}
ROLE_ASSIGNMENT = {
    "role_assignment.added": _("Azure role assigned"),
    "role_assignment.removed": _("Azure role removed"),
}
LEGACY_SUBSCRIPTION = {
    "legacy_subscription.renamed": _("Legacy Azure subscription renamed"),
    "legacy_subscription.transitioned": _("Legacy Azure subscription moved to the Azure plan (cut-over)"),
}
PRODUCT_UPGRADE = {
    "product_upgrade.created": _("Transition to the Azure plan started"),
    "product_upgrade.retried": _("Transition retried for its failed subscriptions"),
    "product_upgrade.completed": _("Transition to the Azure plan completed"),
    "product_upgrade.failed": _("Transition finished with failed subscriptions"),
}


def _order_detail(event, data):
    name = registry.object_name(event)
    if event.action == "order.failed":
        return f"{name} · {data.get('reason', '')}"
    return data.get("name") or name


def _plan_detail(event, data):
    if event.action == "azure_plan.renamed":
        return registry.change(data, field="friendly_name")
    return data.get("name") or registry.object_name(event)


def _subscription_detail(event, data):
    from .choices import CancellationReason

    name = registry.object_name(event)
    if event.action == "azure_subscription.renamed":
        return registry.change(data, field="friendly_name")
    if event.action == "azure_subscription.cancelled":
        reason = CancellationReason(data["reason"]).label if data.get("reason") in CancellationReason.values else ""
        return f"{name} · {reason}" if reason else name
    return data.get("name") or name


def _role_detail(event, data):
    return gettext_now("%(role)s for %(principal)s") % {"role": data.get("role", ""),
                                                        "principal": data.get("principal", "")}


def _legacy_detail(event, data):
    if event.action == "legacy_subscription.renamed":
        return registry.change(data)
    if event.action == "legacy_subscription.transitioned":
        return registry.object_name(event)
    return ""


def _upgrade_detail(event, data):
    if event.action in ("product_upgrade.completed", "product_upgrade.failed"):
        return gettext_now("%(moved)s moved, %(failed)s failed") % {"moved": data.get("completed", 0),
                                                                     "failed": data.get("failed", 0)}
    return ""


def _azure_context(request, customer, overrides):
    from .plans.views import customer_azure_context

    return customer_azure_context(request, customer, overrides)


def _legacy_context(request, customer, overrides):
    # A failed POST of the legacy section hands its forms over on `request.legacy_overrides` (azureplan.legacy.views).
    from .legacy.views import legacy_customer_context

    return legacy_customer_context(request, customer)


def register_object_names():
    from core.audit import register_actor_label, register_object_name

    from .choices import AzureSubscriptionStatus, CartStatus, OrderStatus, PlanStatus, UpgradeStatus

    register_object_name("azureplan.Order", name=_("Order %(id)s"), statuses=OrderStatus)
    register_object_name("azureplan.Cart", name=_("Cart %(id)s"), statuses=CartStatus)
    register_object_name("azureplan.ProductUpgrade", name=_("Transition %(id)s"), statuses=UpgradeStatus)
    register_object_name("azureplan.AzurePlan", statuses=PlanStatus)
    register_object_name("azureplan.AzureSubscription", statuses=AzureSubscriptionStatus)
    register_actor_label("provisioning", _("Provisioning (automatic)"))
    register_actor_label("retention", _("Retention (automatic)"))
    register_actor_label("transition", _("Transition (automatic)"))


def register():
    register_object_names()
    from .legacy.rules import active_legacy_items, active_legacy_of_partner
    from .ordering.services import LEGACY_AZURE_COUNTERS, legacy_gate
    from .plans.services import active_azure_items

    registry.register_section(registry.CustomerSection(
        key="azure", template="azureplan/inc/customer_azure_plan.html", context=_azure_context, order=200,
        anchor="azure-plan"))
    registry.register_section(registry.CustomerSection(
        key="legacy", template="azureplan/inc/customer_legacy.html", context=_legacy_context, order=300,
        anchor="legacy-azure", visible=lambda request, data: bool(data.get("show"))))

    for prefix in ("order.", "azure_plan.", "azure_subscription.", "product_upgrade.", "legacy_subscription."):
        registry.share_activity_with_reseller(prefix)  # the reseller of record sees its customer's commerce
    registry.register_activity("order.", registry.labelled(ORDER, detail=_order_detail))
    # The order placed says the cart was checked out, and that the plan was ordered.
    registry.register_activity("cart.", registry.labelled({}, hidden={"cart.created", "cart.updated",
                                                                      "cart.checked_out"}))
    registry.register_activity("azure_plan.", registry.labelled(AZURE_PLAN, hidden={"azure_plan.ordered"},
                                                                detail=_plan_detail))
    registry.register_activity("azure_subscription.", registry.labelled(AZURE_SUBSCRIPTION,
                                                                        detail=_subscription_detail))
    registry.register_activity("role_assignment.", registry.labelled(ROLE_ASSIGNMENT, detail=_role_detail))
    registry.register_activity("legacy_subscription.", registry.labelled(LEGACY_SUBSCRIPTION, detail=_legacy_detail))
    registry.register_activity("product_upgrade.", registry.labelled(PRODUCT_UPGRADE, detail=_upgrade_detail))

    navigation.register(navigation.NavEntry(key="azure_plan", label=_("Azure plan"), url_name="azureplan:catalog",
                                            perm=Perm.VIEW_AZURE_PLAN, order=200))

    # Counters of active subscriptions: the relationship removal (customers) counts the Azure plans and
    # subscriptions and the legacy ones; the purchase gate (ordering) counts the legacy ones.
    registry.register_active_subscription_counter(active_azure_items)
    registry.register_active_subscription_counter(active_legacy_items)
    if active_legacy_of_partner not in LEGACY_AZURE_COUNTERS:
        LEGACY_AZURE_COUNTERS.append(active_legacy_of_partner)
    azure_registry.register_buy_gate("legacy_azure", legacy_gate)  # the customer page says it before the cart
