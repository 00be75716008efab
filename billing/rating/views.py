"""The Spend pages of the Billing workspace: the partner's customers by month-to-date spend (over budget and trending
over budget first) and a customer's Spend page (month to date by day, by meter category, by Azure subscription and
resource group, the forecast to the month's end, the budget, earlier months), with the budget form. Reading needs
Perm.VIEW_SPEND (Global admin, Admin agent, Billing admin); setting a budget Perm.SET_SPENDING_BUDGET (Global admin,
Admin agent).
The reads are in page_selectors; the budget goes through billing.rating.budgets.budget_set, the API's service."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import Perm, allowed
from accounts.views.portal import forbidden, form_post, portal_page
from core.errors import InvalidInput
from core.portal import run_form_action

from ..pricing.rules import month_parse
from . import page_selectors
from .budgets import budget_set
from .forms import BudgetForm

PER_PAGE = 50
MAX_PAGE = 100_000
SEARCH_MAX = 100


def _today():
    return timezone.now().date()


def _month(request, first, current):
    """The month asked for (?month=YYYY-MM), within the months the pages navigate; else the current month, saying
    so when a month was asked for."""
    raw = (request.GET.get("month") or request.POST.get("month") or "").strip()
    try:
        asked = month_parse(raw)
    except InvalidInput:
        asked = None
    if asked is not None and first <= asked <= current:
        return asked
    if raw:
        messages.info(request, _("There is no spend to show for “%(asked)s”: these are the figures of %(shown)s.")
                      % {"asked": raw[:20], "shown": formats.date_format(current, "YEAR_MONTH_FORMAT")})
    return current


def _month_nav(month, first, current, query=None):
    """Links to the month before and after (None at the ends) and the months of the select, newest first."""
    def link(m):
        return "?" + urlencode({**(query or {}), "month": f"{m:%Y-%m}"})

    before = page_selectors.previous_month(month)
    after = page_selectors.month_end(month) + dt.timedelta(days=1)
    months, m = [], current
    while m >= first and len(months) < 36:
        months.append(m)
        m = page_selectors.previous_month(m)
    return {"month": month, "is_current": month == current, "months": months, "query": query or {},
            "previous": link(before) if before >= first else None,
            "next": link(after) if after <= current else None, "current_link": link(current)}


def _page_number(request):
    try:
        return min(max(int(request.GET.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


# ---------------------------------------------------------------- the partner's customers


@require_GET
@portal_page(Perm.VIEW_SPEND)
def partner_spend(request):
    actor = request.actor
    today = _today()
    organisation = page_selectors.billing_organisation(actor=actor)
    first, current = page_selectors.months_with_usage(organisation_id=organisation.pk, today=today)
    month = _month(request, first, current)
    q = (request.GET.get("q") or "").strip()[:SEARCH_MAX]
    sort = request.GET.get("sort") or "attention"
    sort = sort if sort in page_selectors.SORTS else "attention"
    total = page_selectors.partner_spend_count(actor=actor, search=q)
    page = Paginator(range(total), PER_PAGE).get_page(_page_number(request))
    data = page_selectors.partner_spend(actor=actor, month=month, today=today, search=q, sort=sort,
                                        offset=(page.number - 1) * PER_PAGE, limit=PER_PAGE)
    query = {k: v for k, v in {"month": f"{month:%Y-%m}", "q": q, "sort": "" if sort == "attention" else sort}.items()
             if v}
    return render(request, "billing/spend/partner.html", {
        "tab": "spend", "data": data, "page": page, "total": total, "q": q, "sort": sort,
        "nav": _month_nav(month, first, current, {k: v for k, v in query.items() if k != "month"}),
        "page_query": urlencode(query), "organisation": organisation,
    })


# ---------------------------------------------------------------- a customer's Spend page


def _chart_labels():
    return {"daily": _("Spend of the day"), "cumulative": _("Month to date"), "budget": _("Budget"),
            "forecast": _("Forecast (estimate)"), "axis_total": _("Month to date and budget"),
            "axis_daily": _("Per day")}


def render_customer_spend(request, customer, *, form=None, status=200):
    actor = request.actor
    today = _today()
    first, current = page_selectors.months_with_usage(organisation_id=customer.organisation_id, today=today)
    month = _month(request, first, current)
    data = page_selectors.customer_month(actor=actor, customer=customer, month=month, today=today)
    can_set_budget = allowed(actor, Perm.SET_SPENDING_BUDGET)
    if can_set_budget and form is None:
        form = BudgetForm(initial={"amount": data.budget})
    return render(request, "billing/spend/customer.html", {
        "tab": "spend", "customer": customer, "data": data, "nav": _month_nav(month, first, current),
        "daily_chart": page_selectors.daily_chart(data, _chart_labels()),
        "category_chart": page_selectors.category_chart(data, _("Spend"), _("Other categories"),
                                                        _("No category")),
        "can_set_budget": can_set_budget, "form": form if can_set_budget else None,
        # The Azure subscription's page (its PEC calendar) is a customer page: linked only for who may open it.
        "can_open_subscriptions": allowed(actor, Perm.VIEW_CUSTOMERS) and allowed(actor, Perm.VIEW_AZURE_PLAN),
        "window_days": page_selectors.FORECAST_WINDOW_DAYS,
    }, status=status)


@require_GET
@portal_page(Perm.VIEW_SPEND)
def customer_spend(request, tenant_id):
    customer = page_selectors.spend_customer_get(actor=request.actor, tenant_id=tenant_id)
    return render_customer_spend(request, customer)


def _spend_home(request, tenant_id):
    customer = page_selectors.spend_customer_get(actor=request.actor, tenant_id=tenant_id)
    return reverse("billing:spend_customer", args=[customer.tenant_id])


@portal_page(Perm.VIEW_SPEND)
@form_post(_spend_home)
def customer_budget(request, tenant_id):
    customer = page_selectors.spend_customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.SET_SPENDING_BUDGET):
        return forbidden(request, Perm.SET_SPENDING_BUDGET)
    back = reverse("billing:spend_customer", args=[customer.tenant_id])
    month = (request.POST.get("month") or "").strip()[:7]
    if month:
        back += "?" + urlencode({"month": month})

    def success(budget):
        if budget.amount is None:
            return _("%(customer)s has no spending budget any more.") % {"customer": customer.company_name}
        return _("The monthly spending budget of %(customer)s is now %(amount)s %(currency)s.") % {
            "customer": customer.company_name, "amount": _amount_text(budget.amount), "currency": budget.currency}

    return run_form_action(
        request, BudgetForm(request.POST),
        lambda data: budget_set(actor=request.actor, customer=customer, amount=data["amount"]),
        success=success, redirect_to=back + "#budget",
        on_error=lambda form: render_customer_spend(request, customer, form=form, status=400))


def _amount_text(amount):
    from django.utils.formats import number_format

    return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
