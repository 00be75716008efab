"""What billing adds to the earlier apps (called from BillingConfig.ready()): the Pricing and Billing workspaces of the
navigation (replacing the placeholders accounts registers under the same keys), the "Spend this month" section
of the customer page with its activity line (a budget changed), rating as the listener of changed usage, and the PEC
calendar section of the Azure subscription page."""

import re

from django.utils.translation import gettext_lazy as _

from accounts import navigation
from accounts.permissions import Perm, allowed
from customers import registry

SPENDING_BUDGET = {
    "customer.spending_budget_set": _("Spending budget changed"),
}


def _budget_detail(event, data):
    return f"{registry.change(data)} {data.get('currency', '')}".strip()


def _spend_context(request, customer, overrides):
    if not allowed(request.actor, Perm.VIEW_SPEND):
        return {"show": False}
    from django.urls import reverse
    from django.utils import timezone

    from .rating.page_selectors import customer_section

    # budget_url: where other sections (azureplan's legacy transition reminder) send the user to set the budget.
    return {"show": True, **customer_section(actor=request.actor, customer=customer, today=timezone.now().date()),
            "budget_url": reverse("billing:spend_customer", args=[customer.tenant_id]) + "#budget"}


def register():
    navigation.register(navigation.NavEntry(key="pricing", label=_("Pricing"), perm=Perm.VIEW_PRICING, order=300,
                                            url_name="billing:pricing"))
    # The Billing workspace: Spend (billing.rating) and, beside it, the usage import pages (billing.usage), whose
    # tabs share templates/billing/spend/inc/tabs.html.
    navigation.register(navigation.NavEntry(key="billing", label=_("Billing"), perm=Perm.VIEW_SPEND, order=400,
                                            url_name="billing:spend"))
    registry.register_section(registry.CustomerSection(
        key="spend", template="billing/spend/inc/customer_section.html", context=_spend_context, order=250,
        anchor="spend", visible=lambda request, data: bool(data.get("show"))))
    # billing.rating.budgets.budget_set audits "customer.spending_budget_set" (the longest prefix wins over customers').
    registry.register_activity("customer.spending_budget_set", registry.labelled(SPENDING_BUDGET,
                                                                                 detail=_budget_detail))
    _register_rating()
    _register_pec_calendar()
    _register_invoicing()
    _register_audit_names()


def _register_rating():
    from .rating.services import rate_staged, rate_usage
    from .usage.hooks import on_rate_staged, on_usage_changed

    # An import and its rating commit together: rating runs inside the import's transaction (PEC of those months
    # first, then the meters with an unrated row).
    on_usage_changed(rate_usage)
    # ... and the rows of an import are rated in staging, before they are written (written once, rated).
    on_rate_staged(rate_staged)


def _register_pec_calendar():
    from azureplan import registry as azureplan_registry

    from .rating.pec_views import pec_calendar_section

    azureplan_registry.register_subscription_section(azureplan_registry.SubscriptionSection(
        key="pec-calendar", template="billing/rating/pec_calendar.html", context=pec_calendar_section, order=100))


def _invoiced_context(request, customer, overrides):
    if not allowed(request.actor, Perm.VIEW_INVOICES):
        return {"show": False}
    from .invoicing.page_selectors import customer_invoiced_months

    return {"show": True, "months": customer_invoiced_months(actor=request.actor, customer=customer)}


def _register_invoicing():
    from azureplan import registry as azureplan_registry

    from .invoicing.credit import purchase_check

    # The credit limit (domain.md §3.9) refuses a new purchase at checkout; azureplan never imports billing.
    azureplan_registry.register_purchase_check("credit-limit", purchase_check)
    # The customer page's "Invoiced months" section (the months of the customer's lines on issued invoices).
    registry.register_section(registry.CustomerSection(
        key="invoiced_months", template="billing/invoicing/inc/customer_section.html", context=_invoiced_context,
        order=260, anchor="invoiced-months", visible=lambda request, data: bool(data.get("show"))))


# ---------------------------------------------------------------- audit log: billing objects by what people know

_MONTH_IN_REPR = re.compile(r"\((\d{4}-\d{2})\)$")


def _billing_run_name(event):
    """"Billing run of 2026-11" (the repr names it by its UUID): the month from the event's data or its repr."""
    month = (event.data or {}).get("month") or next(iter(_MONTH_IN_REPR.findall(event.object_repr or "")), "")
    return _("Billing run of %(month)s") % {"month": month} if month else None


def _payment_name(event):
    data = event.data or {}
    if not data.get("amount"):
        return None
    return _("Payment of %(amount)s %(currency)s received on %(date)s") % {
        "amount": data["amount"], "currency": data.get("currency", ""), "date": data.get("receivedOn", "—")}


def _price_list_name(event):
    """"Price list US · Azure plan consumption · 2026-12" from the repr "US azure_consumption 2026-12"."""
    from .models import PriceSheetView

    parts = (event.object_repr or "").split()
    if len(parts) != 3 or parts[1] not in PriceSheetView.values:
        return None
    return _("Price list %(market)s · %(view)s · %(month)s") % {
        "market": parts[0], "view": PriceSheetView(parts[1]).label, "month": parts[2]}


def _fx_import_name(event):
    months = (event.data or {}).get("months")
    if event.action != "fx_rates.imported" or not months:
        return None
    return _("Exchange rates of %(months)s") % {"months": ", ".join(months)}


def _register_audit_names():
    from core.audit import register_object_name

    register_object_name("billing.BillingRun", display=_billing_run_name)
    register_object_name("billing.Payment", display=_payment_name)
    register_object_name("billing.PriceList", display=_price_list_name)
    register_object_name("billing.PricingImport", display=_fx_import_name)
