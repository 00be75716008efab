"""The Azure plan as pages: the customer page's Azure plan section (plans, their Azure subscriptions, actions by
role) and an Azure subscription's page (name, role assignments, partner earned credit).

Every rule is azureplan.plans.services': the views call them and show their refusals where the person is looking
(beside the field, or at the top of the plan with a link to the fix). Every id is looked up through
azureplan.plans.selectors, which scope it to the actor (a foreign id answers 404). GET changes nothing."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from accounts import selectors as account_selectors
from accounts.choices import Tier
from accounts.permissions import Perm, allowed, requirement_text
from accounts.views.portal import forbidden, form_post, portal_page
from agreements.services import purchase_gate
from core.errors import PartnerCenterError
from core.forms import apply_error
from core.portal import run_form_action
from customers import selectors as customer_selectors

from .. import registry
from ..catalog import selectors as catalog_selectors
from ..choices import (
    AzureSubscriptionStatus,
    PlanStatus,
)
from . import selectors, services
from .forms import (
    AzureSubscriptionCreateForm,
    AzureSubscriptionRenameForm,
    BulkCancelForm,
    PlanRenameForm,
    RoleAssignmentForm,
)

INLINE = "inline"  # messages shown inside the Azure plan section of the customer page (inc/messages.html skips them)


def _customer_url(customer, anchor="azure-plan"):
    return reverse("customers:customer_detail", args=[customer.tenant_id]) + f"#{anchor}"


def resellers_for(organisation, customer):
    """An indirect provider's resellers when it sells to this customer itself, else None (no picker)."""
    if organisation.tier != Tier.INDIRECT_PROVIDER or customer.organisation_id != organisation.pk:
        return None
    return account_selectors.reseller_list(organisation=organisation)


def refusal(exc, customer, actor=None):
    """A service's refusal for the page: its text, its code and, where there is one, a link to the fix (and a
    note when the fix needs roles the person does not hold)."""
    from agreements.errors import McaMissing
    from customers.errors import NoCommerceRelationship

    from .. import errors

    link = None
    if isinstance(exc, McaMissing):
        link = (_customer_url(customer, "agreements"), _("Attest the Microsoft Customer Agreement"))
    elif isinstance(exc, NoCommerceRelationship):
        link = (reverse("customers:customer_detail", args=[customer.tenant_id]),
                _("Open the customer to send a new reseller relationship invitation"))
    elif isinstance(exc, errors.AzurePlanExists):
        link = (_customer_url(customer), _("Open the customer's Azure plan"))
    elif isinstance(exc, errors.LegacyAzurePresent):
        link = (_customer_url(customer, "legacy-azure"), _("Move its legacy Azure subscriptions to the Azure plan"))
    elif isinstance(exc, errors.CartNotFound | errors.CartAlreadySubmitted | errors.OfferNotAvailableInCountry
                    | errors.AvailabilityNotFound):
        link = (reverse("azureplan:azure_plan_cart", args=[customer.tenant_id]), _("Start a new cart"))
    note = ""
    if isinstance(exc, errors.PlanHasActiveSubscriptions):
        link = (_customer_url(customer), _("See the Azure subscriptions"))
        if actor is not None and not allowed(actor, Perm.CANCEL_AZURE_SUBSCRIPTION):
            note = _("Cancelling Azure subscriptions: %(needs)s") % {
                "needs": requirement_text(Perm.CANCEL_AZURE_SUBSCRIPTION)}
    return {"text": str(exc.description), "code": exc.code, "link": link, "note": note}


# ---------------------------------------------------------------- the customer page's Azure plan section


def _plan_rows(request, plans, organisation, customer, overrides):
    actor = request.actor
    resellers = resellers_for(organisation, customer)
    can = {
        "rename": allowed(actor, Perm.PURCHASE),
        "suspend": allowed(actor, Perm.SUSPEND_AZURE_PLAN),
        "cancel_plan": allowed(actor, Perm.CANCEL_AZURE_PLAN),
        "add": allowed(actor, Perm.CREATE_AZURE_SUBSCRIPTION),
        "cancel_subs": allowed(actor, Perm.CANCEL_AZURE_SUBSCRIPTION),
        "reactivate_subs": allowed(actor, Perm.REACTIVATE_AZURE_SUBSCRIPTION),
    }
    for plan in plans:
        extra = overrides.get(plan.pk, {})
        plan.subs = list(plan.azure_subscriptions.all())
        for sub in plan.subs:
            sub.active_roles = sum(1 for a in sub.role_assignments.all() if a.removed_at is None)
            sub.pec_eligible, sub.pec_reason = services.pec_status(sub)
        plan.active_count = sum(1 for s in plan.subs if s.status == AzureSubscriptionStatus.ACTIVE)
        plan.cancelled_count = sum(1 for s in plan.subs if s.status == AzureSubscriptionStatus.CANCELLED)
        live = plan.status != PlanStatus.CANCELLED
        plan.can = {
            "rename": can["rename"] and live,
            # Only what can happen is offered (and confirmed): a plan suspends once none of its subscriptions is active.
            "suspend": can["suspend"] and plan.status == PlanStatus.ACTIVE and plan.active_count == 0,
            "suspend_blocked": can["suspend"] and plan.status == PlanStatus.ACTIVE and plan.active_count > 0,
            "reactivate": can["suspend"] and plan.status == PlanStatus.SUSPENDED,
            # Likewise a plan is cancelled once none of its subscriptions is active (and it is no longer pending).
            "cancel": (can["cancel_plan"] and plan.status in (PlanStatus.ACTIVE, PlanStatus.SUSPENDED)
                       and plan.active_count == 0),
            "cancel_blocked": can["cancel_plan"] and live and plan.active_count > 0,
            "add": can["add"] and plan.status == PlanStatus.ACTIVE,
            "cancel_subs": can["cancel_subs"] and plan.active_count > 0,
            "reactivate_subs": can["reactivate_subs"] and plan.status == PlanStatus.ACTIVE,
        }
        plan.can["any"] = any(plan.can[k] for k in ("suspend", "reactivate", "cancel"))
        # Who can do the step the blocked action waits for, when this person cannot (cancelling needs two roles).
        plan.cancel_subs_needs = ("" if can["cancel_subs"] or not (plan.can["suspend_blocked"] or plan.can["cancel_blocked"])
                                  else requirement_text(Perm.CANCEL_AZURE_SUBSCRIPTION))
        plan.rename_form = extra.get("rename_form") or PlanRenameForm(
            initial={"friendly_name": plan.friendly_name}, auto_id=f"plan{plan.pk}_%s")
        plan.add_form = extra.get("add_form") or AzureSubscriptionCreateForm(resellers=resellers,
                                                                              auto_id=f"plan{plan.pk}_add_%s")
        plan.cancel_form = extra.get("cancel_form") or BulkCancelForm(auto_id=f"plan{plan.pk}_cancel_%s")
        plan.chosen = set(extra.get("chosen", ()))
        plan.error = extra.get("error")
        plan.open_form = extra.get("open")
    return plans


def customer_azure_context(request, customer, overrides=None):
    """The customer page's Azure plan section (customers.views._render_detail)."""
    actor = request.actor
    if not allowed(actor, Perm.VIEW_AZURE_PLAN):
        return {"can_view": False, "requirement": requirement_text(Perm.VIEW_AZURE_PLAN)}
    organisation = account_selectors.organisation_get(actor=actor)
    plans = _plan_rows(request, selectors.customer_plans(actor=actor, customer=customer), organisation, customer,
                       overrides or {})
    live = [p for p in plans if p.status != PlanStatus.CANCELLED]
    is_owner = customer.organisation_id == actor.organisation_id
    can_buy = allowed(actor, Perm.PURCHASE) and is_owner
    buy_blocked = ""
    if can_buy and not live:
        # The purchase gate (reseller relationship, MCA) and legacy Azure still to move said before the cart, not
        # after a wasted checkout.
        try:
            purchase_gate(customer=customer)
            for gate in registry.buy_gates():  # legacy Azure still to move (azureplan.ordering)
                gate(customer, organisation)
        except PartnerCenterError as exc:
            buy_blocked = refusal(exc, customer, actor)
    return {
        "buy_blocked": buy_blocked,
        "can_view": True, "plans": plans, "has_live_plan": bool(live),
        "can_buy": can_buy and (not live or organisation.tier == Tier.INDIRECT_PROVIDER),
        "buy_elsewhere": "" if is_owner else _("Your indirect provider %(provider)s buys the Azure plan for this "
                                               "customer.") % {"provider": customer.organisation.name},
        "is_indirect_provider": organisation.tier == Tier.INDIRECT_PROVIDER,
        "orders": selectors.customer_order_count(actor=actor, customer=customer) if allowed(actor, Perm.PURCHASE) else None,
        "can_orders": allowed(actor, Perm.PURCHASE),
        "buy_requirement": "" if allowed(actor, Perm.PURCHASE) else requirement_text(Perm.PURCHASE),
        "max_cancel": services.MAX_CANCEL_PER_SUBMIT,
        "retention_days": services.RETENTION.days,
    }


def _customer_page(request, customer, overrides, status=400):
    from customers.views import _render_detail

    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=customer.tenant_id)
    return _render_detail(request, customer, azure=overrides, status=status)


PLAN_ACTIONS = {
    "rename": Perm.PURCHASE,
    "suspend": Perm.SUSPEND_AZURE_PLAN,
    "reactivate": Perm.SUSPEND_AZURE_PLAN,
    "cancel": Perm.CANCEL_AZURE_PLAN,
}



def _plan_home(request, public_id):
    return _customer_url(selectors.plan_get(actor=request.actor, subscription_id=public_id).customer)


def _subscription_home(request, subscription_id):
    sub = selectors.azure_subscription_get(actor=request.actor, entitlement_id=subscription_id)
    return reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id])


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_plan_home)
def azure_plan_action(request, public_id):
    """Rename, suspend, reactivate or cancel an Azure plan (`action` in the form)."""
    plan = selectors.plan_get(actor=request.actor, subscription_id=public_id)
    action = request.POST.get("action", "")
    if action not in PLAN_ACTIONS:
        return HttpResponseBadRequest(_("Unknown action."))
    if not allowed(request.actor, PLAN_ACTIONS[action]):
        return forbidden(request, PLAN_ACTIONS[action])
    form = None
    try:
        if action == "rename":
            form = PlanRenameForm(request.POST, auto_id=f"plan{plan.pk}_%s")
            if not form.is_valid():
                return _customer_page(request, plan.customer, {plan.pk: {"rename_form": form, "open": "rename"}})
            plan = services.plan_update(actor=request.actor, plan=plan, friendly_name=form.cleaned_data["friendly_name"])
            done = _("The Azure plan is now called “%(name)s”.") % {"name": plan.friendly_name}
        elif action == "suspend":
            plan = services.plan_update(actor=request.actor, plan=plan, status=PlanStatus.SUSPENDED)
            done = _("“%(name)s” is suspended. Reactivate it to add Azure subscriptions again.") % {
                "name": plan.friendly_name}
        elif action == "reactivate":
            plan = services.plan_update(actor=request.actor, plan=plan, status=PlanStatus.ACTIVE)
            done = _("“%(name)s” is active again.") % {"name": plan.friendly_name}
        else:
            plan = services.plan_cancel(actor=request.actor, plan=plan)
            done = _("“%(name)s” is cancelled. A new Azure plan can be bought for this customer.") % {
                "name": plan.friendly_name}
    except PartnerCenterError as exc:
        extra = {"error": refusal(exc, plan.customer, request.actor)}
        if form is not None:
            apply_error(form, exc)
            extra.update(rename_form=form, open="rename", error=None)
        return _customer_page(request, plan.customer, {plan.pk: extra})
    messages.success(request, done, extra_tags=INLINE)
    return redirect(_customer_url(plan.customer))


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_plan_home)
def azure_subscription_create(request, public_id):
    plan = selectors.plan_get(actor=request.actor, subscription_id=public_id)
    if not allowed(request.actor, Perm.CREATE_AZURE_SUBSCRIPTION):
        return forbidden(request, Perm.CREATE_AZURE_SUBSCRIPTION)
    organisation = account_selectors.organisation_get(actor=request.actor)
    form = AzureSubscriptionCreateForm(request.POST, resellers=resellers_for(organisation, plan.customer),
                                       auto_id=f"plan{plan.pk}_add_%s")
    if form.is_valid():
        try:
            sub = services.azure_subscription_create(actor=request.actor, plan=plan,
                                                     name=form.cleaned_data["friendly_name"],
                                                     reseller=form.cleaned_data.get("participants") or None)
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            billing = plan.customer.organisation
            if billing.pk == request.actor.organisation_id:
                text = _("Azure subscription “%(name)s” was created. Your Admin agents are its Owner.")
            else:  # the Owner (AOBO) is the billing partner's foreign principal, not the reseller's
                text = _("Azure subscription “%(name)s” was created. %(partner)s's Admin agents are its Owner "
                         "(the foreign principal of the partner that bills it).")
            messages.success(request, text % {"name": sub.friendly_name, "partner": billing.name}, extra_tags=INLINE)
            return redirect(_customer_url(plan.customer))
    return _customer_page(request, plan.customer, {plan.pk: {"add_form": form, "open": "add"}})


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_plan_home)
def azure_subscriptions_cancel(request, public_id):
    """Cancel the chosen Azure subscriptions of a plan (at most 10 per submit: the service says so)."""
    plan = selectors.plan_get(actor=request.actor, subscription_id=public_id)
    if not allowed(request.actor, Perm.CANCEL_AZURE_SUBSCRIPTION):
        return forbidden(request, Perm.CANCEL_AZURE_SUBSCRIPTION)
    chosen = [value for value in request.POST.getlist("subscriptions") if value]
    subs = selectors.azure_subscriptions_of_plan(actor=request.actor, plan=plan, subscription_ids=chosen)

    def cancel(data):
        if len(subs) != len(set(chosen)):
            raise ValidationError(_("Some of the chosen Azure subscriptions are not in this Azure plan. Reload the page "
                                    "and choose again."))
        return services.azure_subscriptions_cancel(actor=request.actor, subs=subs, reason=data["cancellation_reason"])

    def done(cancelled):
        names = ", ".join(f"“{s.friendly_name}”" for s in cancelled)
        deleted = date_format(cancelled[0].delete_after, "SHORT_DATE_FORMAT")
        return ngettext(
            "Cancelled: %(names)s. Its billing stops now; it is deleted on %(date)s unless reactivated before.",
            "Cancelled: %(names)s. Their billing stops now; they are deleted on %(date)s unless reactivated "
            "before.", len(cancelled)) % {"names": names, "date": deleted}

    return run_form_action(
        request, BulkCancelForm(request.POST, auto_id=f"plan{plan.pk}_cancel_%s"), cancel,
        success=done, extra_tags=INLINE, redirect_to=_customer_url(plan.customer),
        on_error=lambda form: _customer_page(request, plan.customer, {plan.pk: {"cancel_form": form, "chosen": chosen,
                                                                                "open": "cancel"}}))


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_subscription_home)
def azure_subscription_reactivate(request, subscription_id):
    sub = selectors.azure_subscription_get(actor=request.actor, entitlement_id=subscription_id)
    if not allowed(request.actor, Perm.REACTIVATE_AZURE_SUBSCRIPTION):
        return forbidden(request, Perm.REACTIVATE_AZURE_SUBSCRIPTION)
    from_detail = request.POST.get("from") == "detail"
    try:
        sub = services.azure_subscription_reactivate(actor=request.actor, sub=sub)
    except PartnerCenterError as exc:
        if from_detail:
            return _render_subscription(request, sub, error=refusal(exc, sub.plan.customer), status=400)
        return _customer_page(request, sub.plan.customer, {sub.plan_id: {"error": refusal(exc, sub.plan.customer)}})
    done = _("Azure subscription “%(name)s” is active again.") % {"name": sub.friendly_name}
    if from_detail:
        messages.success(request, done)
        return redirect("azureplan:azure_subscription_detail", subscription_id=sub.subscription_id)
    messages.success(request, done, extra_tags=INLINE)
    return redirect(_customer_url(sub.plan.customer))


# ---------------------------------------------------------------- one Azure subscription


def _render_subscription(request, sub, *, rename_form=None, role_form=None, error=None, status=200):
    sub = selectors.azure_subscription_get(actor=request.actor, entitlement_id=sub.subscription_id)
    can_manage = allowed(request.actor, Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS)
    active = sub.status == AzureSubscriptionStatus.ACTIVE
    assignments = sorted(sub.role_assignments.all(), key=lambda a: (a.removed_at is not None, a.granted_at))
    eligible, reason = services.pec_status(sub)
    aobo = None
    if can_manage and active and not eligible:
        # One click to give the partner's Admin agents group Owner back (the foreign principal, AOBO), the
        # usual way back to partner earned credit and to access.
        principal_id, principal_name = services.admin_agents_principal(
            account_selectors.organisation_get(actor=request.actor))
        aobo = {"principal_id": principal_id, "principal_name": principal_name, "role": services.AOBO_ROLE}
    return render(request, "azureplan/azure_subscription_detail.html", {
        "sub": sub, "plan": sub.plan, "customer": sub.plan.customer, "assignments": assignments,
        "active_count": sum(1 for a in assignments if a.removed_at is None),
        "pec_eligible": eligible, "pec_reason": reason,
        "can_rename": (allowed(request.actor, Perm.CREATE_AZURE_SUBSCRIPTION)
                       and sub.status != AzureSubscriptionStatus.DELETED),
        "rename_form": rename_form or AzureSubscriptionRenameForm(initial={"friendly_name": sub.friendly_name}),
        "can_manage": can_manage, "can_add_role": can_manage and active,
        "role_form": role_form or RoleAssignmentForm(roles=catalog_selectors.azure_role_list(),
                                                     initial={"principal_type": "customer_user"}),
        "can_reactivate": (allowed(request.actor, Perm.REACTIVATE_AZURE_SUBSCRIPTION)
                           and sub.status == AzureSubscriptionStatus.CANCELLED),
        "error": error, "aobo": aobo, "anchor": f"#plan-{sub.plan.public_id}", "tab": "customers",
        "sections": registry.rendered_sections(request, sub),
    }, status=status)


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def azure_subscription_detail(request, subscription_id):
    sub = selectors.azure_subscription_get(actor=request.actor, entitlement_id=subscription_id)
    if not allowed(request.actor, Perm.VIEW_AZURE_PLAN):
        return forbidden(request, Perm.VIEW_AZURE_PLAN)
    return _render_subscription(request, sub)


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_subscription_home)
def azure_subscription_rename(request, subscription_id):
    sub = selectors.azure_subscription_get(actor=request.actor, entitlement_id=subscription_id)
    if not allowed(request.actor, Perm.CREATE_AZURE_SUBSCRIPTION):
        return forbidden(request, Perm.CREATE_AZURE_SUBSCRIPTION)
    return run_form_action(
        request, AzureSubscriptionRenameForm(request.POST),
        lambda data: services.azure_subscription_rename(actor=request.actor, sub=sub, name=data["friendly_name"]),
        success=lambda sub: _("The Azure subscription is now called “%(name)s”.") % {"name": sub.friendly_name},
        redirect_to=lambda sub: reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id]),
        on_error=lambda form: _render_subscription(request, sub, rename_form=form, status=400))


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_subscription_home)
def role_assignment_add(request, subscription_id):
    sub = selectors.azure_subscription_get(actor=request.actor, entitlement_id=subscription_id)
    if not allowed(request.actor, Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS):
        return forbidden(request, Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS)
    return run_form_action(
        request, RoleAssignmentForm(request.POST, roles=catalog_selectors.azure_role_list()),
        lambda data: services.role_assignment_add(
            actor=request.actor, sub=sub, principal_type=data["principal_type"], principal_id=data["principal_id"],
            principal_name=data["principal_name"], role=data["role_name"], resource_group=data["resource_group"],
            partner=data["partner_id"] or None),
        success=lambda assignment: _("%(principal)s now holds %(role)s on %(scope)s.") % {
            "principal": assignment.principal_name, "role": assignment.role_id, "scope": assignment.scope},
        redirect_to=reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id]) + "#roles",
        on_error=lambda form: _render_subscription(request, sub, role_form=form, status=400))


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(lambda request, public_id: reverse("azureplan:azure_subscription_detail", args=[selectors.role_assignment_get(
    actor=request.actor, assignment_id=public_id).azure_subscription.subscription_id]) + "#roles")
def role_assignment_remove(request, public_id):
    assignment = selectors.role_assignment_get(actor=request.actor, assignment_id=public_id)
    if not allowed(request.actor, Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS):
        return forbidden(request, Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS)
    sub = assignment.azure_subscription
    try:
        assignment = services.role_assignment_remove(actor=request.actor, assignment=assignment)
    except PartnerCenterError as exc:
        return _render_subscription(request, sub, error=refusal(exc, sub.plan.customer), status=400)
    messages.success(request, _("%(principal)s no longer holds %(role)s. The assignment stays in the history below.")
                     % {"principal": assignment.principal_name, "role": assignment.role_id})
    return redirect(reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id]) + "#roles")
