"""Reads of the Spend pages (billing.rating.views): a customer's month of rated usage by day, by meter category and
by Azure subscription and resource group, the forecast to the month's end and the budget; and the partner's
customers by month-to-date spend, those over or trending over their budget first.

Every figure is a sum of rated rows' `billing_pre_tax_total` (each already rounded by rating, docs/billing.md), in the
partner's billing currency: a sum of booked amounts is exact and needs no rounding. Rows not rated yet are counted,
not summed, so a page can say so; rows kept out of rating (`not_rated_reason`, e.g. usage before a legacy cut-over)
belong to another offer and are left out. Each read is a fixed number of statements whatever the number of rows or
customers: the month is aggregated in SQL (the (organisation_id, customer_id, usage_date) index of the usage table).

The forecast to the month's end (an estimate, said so on the pages): the month to date plus the average daily spend
of the last 7 complete days times the days left. A day is complete once the partner's usage import reached it: the
last complete day is the latest usage date the partner has in the month, and never today or later (today's usage is
still coming, Microsoft's data is about 24 h behind). The window is the 7 days ending on that day (fewer at the start
of the month, days without usage counting as zero); the days left are those after it. A past month needs no forecast:
it is its total.

The SQL is assembled from constants (the reseller and search clauses, the ORDER BY of SORTS); every value is a bound
parameter."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from accounts.choices import Tier
from accounts.models import Organisation
from accounts.permissions import Perm, require
from azureplan.models import AzureSubscription
from core.money import minor_units, round_half_even
from core.tenancy import get_for_actor_or_404
from customers.models import Customer

from ..models import SpendingBudget
from ..usage.partitions import month_start, next_month

FORECAST_WINDOW_DAYS = 7
ZERO = Decimal("0")


def month_end(month: dt.date) -> dt.date:
    """The last day of `month`'s month."""
    return next_month(month_start(month)) - dt.timedelta(days=1)


def previous_month(month: dt.date) -> dt.date:
    return (month_start(month) - dt.timedelta(days=1)).replace(day=1)


def billing_organisation(*, actor) -> Organisation:
    """The partner whose usage and billing currency the actor's Spend pages show: the actor's own organisation, or
    for an indirect reseller its provider (the reseller's customers are billed through the provider)."""
    require(actor, Perm.VIEW_SPEND)
    own = Organisation.objects.select_related("country", "provider__country").get(pk=actor.organisation_id)
    return own.provider if own.tier == Tier.INDIRECT_RESELLER else own


def spend_customer_get(*, actor, tenant_id) -> Customer:
    """A customer the actor may see (a foreign or unknown id is 404), for its Spend page."""
    require(actor, Perm.VIEW_SPEND)
    return get_for_actor_or_404(Customer.objects.select_related("organisation__country", "reseller"), actor,
                                tenant_id=tenant_id)


def _reseller_clause(actor, column="reseller_id"):
    """An indirect reseller sees the usage of the Azure plans it is the reseller of record of, nothing else."""
    if actor.tier == Tier.INDIRECT_RESELLER:
        return f" AND {column} = %s", [actor.organisation_id]
    return "", []


def data_through(*, organisation_id, month, today) -> dt.date | None:
    """The last complete day of `month` for the partner (see the module's text), or None before any usage."""
    if month > month_start(today):
        return None
    last_possible = min(month_end(month), today - dt.timedelta(days=1))
    if last_possible < month:
        return None  # the 1st of the current month: no complete day yet
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(usage_date) FROM billing_usagerecord WHERE organisation_id = %s "
                       "AND usage_date >= %s AND usage_date <= %s", [organisation_id, month, last_possible])
        (latest,) = cursor.fetchone()
    if month < month_start(today):
        return month_end(month)  # a closed calendar month is complete, whatever its last usage date
    return latest


@dataclass(frozen=True)
class ForecastWindow:
    through: dt.date | None  # the last complete day
    first: dt.date | None  # the window's first day
    days: int  # days in the window
    days_left: int  # days of the month after `through`

    def project(self, month_to_date: Decimal, window_sum: Decimal) -> Decimal | None:
        """Month to date + average of the window x days left, unrounded (None without a complete day)."""
        if self.through is None or not self.days:
            return None
        return forecast_amount(month_to_date, window_sum, window_days=self.days, days_left=self.days_left)


def forecast_amount(month_to_date: Decimal, window_sum: Decimal | None, *, window_days: int, days_left: int) -> Decimal:
    """THE forecast to the month's end (docs/billing.md), unrounded: the month to date plus the window's average daily
    spend times the days left. The Spend pages, the partner page's SQL (the same expression, `_PARTNER_SQL`) and the
    API's partner summary (billing.rating.spend) all forecast with it."""
    return month_to_date + (window_sum or ZERO) * days_left / window_days


def forecast_window(*, organisation_id, month, today) -> ForecastWindow:
    through = data_through(organisation_id=organisation_id, month=month, today=today)
    if through is None:
        return ForecastWindow(None, None, 0, 0)
    first = max(month, through - dt.timedelta(days=FORECAST_WINDOW_DAYS - 1))
    return ForecastWindow(through, first, (through - first).days + 1, (month_end(month) - through).days)


def months_with_usage(*, organisation_id, today) -> tuple[dt.date, dt.date]:
    """(first, last) month the Spend pages navigate: from the partner's first usage month to the current month."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(usage_date) FROM billing_usagerecord WHERE organisation_id = %s", [organisation_id])
        (first,) = cursor.fetchone()
    current = month_start(today)
    return (min(month_start(first), current) if first else current), current


# ---------------------------------------------------------------- one customer's month


@dataclass
class Amount:
    label: str
    amount: Decimal
    share: Decimal = ZERO  # percent of the month's total
    key: str = ""
    detail: str = ""


@dataclass
class SubscriptionSpend:
    subscription_id: str
    name: str
    amount: Decimal
    share: Decimal
    groups: list = field(default_factory=list)  # [Amount] per resource group, largest first


@dataclass
class CustomerMonth:
    customer: Customer
    month: dt.date
    currency: str
    total: Decimal
    days: list  # [(date, amount, cumulative)] from the 1st to the last day shown
    categories: list  # [Amount], largest first
    subscriptions: list  # [SubscriptionSpend], largest first
    rated_rows: int
    unrated_rows: int
    other_currency_rows: int
    window: ForecastWindow
    forecast: Decimal | None  # rounded to the currency's minor unit, None when there is nothing to project
    forecast_exact: Decimal | None
    budget: Decimal | None
    budget_currency: str
    is_current: bool

    @property
    def has_usage(self):
        return bool(self.rated_rows or self.unrated_rows)

    @property
    def percent(self):
        return budget_percent(self.total, self.budget)

    @property
    def status(self):
        return budget_status(self.total, self.forecast_exact if self.is_current else None, self.budget)


def budget_percent(spend, budget):
    if budget is None or budget <= 0:
        return None
    return round_half_even(spend * 100 / budget, 1)


def budget_status(spend, forecast, budget):
    """"over" (spend above the budget), "trending" (the forecast above it), "ok", or "" without a budget."""
    if budget is None:
        return ""
    if spend > budget:
        return "over"
    if forecast is not None and forecast > budget:
        return "trending"
    return "ok"


_MONTH_SQL = """
SELECT GROUPING(usage_date) = 0 AS by_day, GROUPING(meter_category) = 0 AS by_category,
       usage_date, meter_category, azure_subscription_id, resource_group,
       SUM(billing_pre_tax_total) FILTER (WHERE rated_at IS NOT NULL AND billing_currency = %s) AS amount,
       COUNT(*) FILTER (WHERE rated_at IS NOT NULL AND billing_currency = %s) AS rated,
       COUNT(*) FILTER (WHERE rated_at IS NULL) AS unrated,
       COUNT(*) FILTER (WHERE rated_at IS NOT NULL AND billing_currency <> %s) AS other_currency
FROM billing_usagerecord
WHERE organisation_id = %s AND customer_id = %s AND usage_date >= %s AND usage_date < %s AND not_rated_reason = ''{reseller}
GROUP BY GROUPING SETS ((usage_date), (meter_category), (azure_subscription_id, resource_group))
"""


def customer_month(*, actor, customer, month, today) -> CustomerMonth:
    """The Spend page's figures for `customer` (from spend_customer_get) and `month` (its first day): one aggregate
    statement over the month (GROUPING SETS: by day, by meter category, by subscription and resource group), the
    subscriptions' names, the budget and the last complete day."""
    require(actor, Perm.VIEW_SPEND)
    month = month_start(month)
    organisation = customer.organisation
    currency = organisation.billing_currency
    reseller_sql, reseller_params = _reseller_clause(actor)
    with connection.cursor() as cursor:
        cursor.execute(_MONTH_SQL.format(reseller=reseller_sql),
                       [currency, currency, currency, organisation.pk, customer.pk, month, next_month(month),
                        *reseller_params])
        rows = cursor.fetchall()
    by_day, categories, groups = {}, [], {}
    rated = unrated = other = 0
    for is_day, is_category, day, category, sub_id, group, amount, n_rated, n_unrated, n_other in rows:
        amount = amount or ZERO
        if is_day:
            by_day[day] = amount
            rated, unrated, other = rated + n_rated, unrated + n_unrated, other + n_other
        elif is_category:
            if n_rated:
                categories.append(Amount(category, amount, key=category))
        elif n_rated:
            groups.setdefault(sub_id, []).append(Amount(group, amount, key=group))
    total = sum(by_day.values(), ZERO)

    is_current = month == month_start(today)
    window = forecast_window(organisation_id=organisation.pk, month=month, today=today)
    last_shown = month_end(month) if not is_current else max([today - dt.timedelta(days=1), *by_day] if by_day
                                                              else [today - dt.timedelta(days=1)])
    days, running, day = [], ZERO, month
    while day <= min(last_shown, month_end(month)):
        running += by_day.get(day, ZERO)
        days.append((day, by_day.get(day, ZERO), running))
        day += dt.timedelta(days=1)

    forecast_exact = None
    if is_current and window.through is not None:
        window_sum = sum((a for d, a in by_day.items() if window.first <= d <= window.through), ZERO)
        forecast_exact = window.project(total, window_sum)
    places = minor_units(currency)
    forecast = round_half_even(forecast_exact, places) if forecast_exact is not None else None

    for item in categories:
        item.share = _share(item.amount, total)
    categories.sort(key=lambda a: (-a.amount, a.label))
    names = {s.pk: s for s in AzureSubscription.objects.filter(pk__in=list(groups)).only("subscription_id",
                                                                                          "friendly_name")}
    subscriptions = []
    for sub_id, items in groups.items():
        amount = sum((a.amount for a in items), ZERO)
        for item in items:
            item.share = _share(item.amount, total)
        sub = names.get(sub_id)
        subscriptions.append(SubscriptionSpend(
            subscription_id=str(sub.subscription_id) if sub else "", name=sub.friendly_name if sub else "",
            amount=amount, share=_share(amount, total), groups=sorted(items, key=lambda a: (-a.amount, a.label))))
    subscriptions.sort(key=lambda s: (-s.amount, s.name))

    budget = SpendingBudget.objects.filter(customer=customer).values_list("amount", "currency").first()
    return CustomerMonth(
        customer=customer, month=month, currency=currency, total=total, days=days, categories=categories,
        subscriptions=subscriptions, rated_rows=rated, unrated_rows=unrated, other_currency_rows=other,
        window=window, forecast=forecast, forecast_exact=forecast_exact,
        budget=budget[0] if budget else None, budget_currency=(budget[1] if budget else "") or currency,
        is_current=is_current)


def _share(amount, total):
    return round_half_even(amount * 100 / total, 1) if total else ZERO


def daily_chart(month_data: CustomerMonth, labels: dict) -> dict:
    """The daily chart's data for static/js/spend-charts.js: bars of each day's spend, the cumulative spend, the
    budget as a flat line and, for the open month, the forecast's straight line from the last complete day to the
    month's end. Values are decimal strings (money is never a float on the server)."""
    data = month_data
    day_labels = [d.isoformat() for d, _amount, _cum in data.days]
    series = [
        {"label": labels["daily"], "type": "bar", "values": [str(a) for _d, a, _c in data.days]},
        {"label": labels["cumulative"], "type": "line", "values": [str(c) for _d, _a, c in data.days]},
    ]
    if data.is_current and data.forecast_exact is not None and data.window.through is not None:
        # Extend the axis to the month's end; the forecast runs from the last complete day's cumulative spend.
        extra = []
        day = data.days[-1][0] + dt.timedelta(days=1) if data.days else data.month
        while day <= month_end(data.month):
            extra.append(day.isoformat())
            day += dt.timedelta(days=1)
        day_labels += extra
        for s in series:
            s["values"] += [None] * len(extra)
        start = day_labels.index(data.window.through.isoformat())
        through_total = next(c for d, _a, c in data.days if d == data.window.through)
        steps = len(day_labels) - 1 - start
        values = [None] * len(day_labels)
        for i in range(start, len(day_labels)):
            # A straight line from the cumulative spend of the last complete day to the forecast at the month's end.
            point = (through_total + (data.forecast_exact - through_total) * (i - start) / steps if steps
                     else data.forecast_exact)
            values[i] = str(round_half_even(point, 2))
        series.append({"label": labels["forecast"], "type": "line", "dashed": True, "values": values})
    if data.budget is not None:
        series.append({"label": labels["budget"], "type": "line", "dashed": True, "flat": True,
                       "values": [str(data.budget)] * len(day_labels)})
    return {"kind": "daily", "labels": day_labels, "series": series, "currency": data.currency,
            "axes": {"total": labels["axis_total"], "daily": labels["axis_daily"]}}


def category_chart(month_data: CustomerMonth, label: str, other_label: str, none_label: str, top=8) -> dict:
    """The meter categories as a doughnut: the `top` largest, the rest as one slice."""
    items = month_data.categories
    shown, rest = items[:top], items[top:]
    labels = [a.label or none_label for a in shown]
    values = [str(a.amount) for a in shown]
    if rest:
        labels.append(other_label)
        values.append(str(sum((a.amount for a in rest), ZERO)))
    return {"kind": "doughnut", "labels": labels, "series": [{"label": label, "values": values}],
            "currency": month_data.currency}


# ---------------------------------------------------------------- the partner's customers


SORTS = {
    "attention": "attention, mtd DESC, company_name, id",
    "name": "company_name, id",
    "-name": "company_name DESC, id DESC",
    "spend": "mtd, company_name, id",
    "-spend": "mtd DESC, company_name, id",
    "forecast": "forecast NULLS LAST, company_name, id",
    "-forecast": "forecast DESC NULLS LAST, company_name, id",
    "budget": "budget NULLS LAST, company_name, id",
    "-budget": "budget DESC NULLS LAST, company_name, id",
    "percent": "percent NULLS LAST, company_name, id",
    "-percent": "percent DESC NULLS LAST, company_name, id",
}


@dataclass
class CustomerSpendRow:
    customer_id: int
    tenant_id: str
    company_name: str
    spend: Decimal
    forecast: Decimal | None
    budget: Decimal | None
    budget_currency: str
    percent: Decimal | None
    status: str
    unrated_rows: int


@dataclass
class PartnerSpendPage:
    currency: str
    month: dt.date
    window: ForecastWindow
    rows: list
    spend_total: Decimal
    over: int
    trending: int
    unrated_rows: int


def _customers_where(actor, search):
    """The customers the partner page lists: the actor's (core.tenancy's rule for customers) that have an Azure plan
    (an indirect reseller: one it is the reseller of record of) or a budget."""
    if actor.tier == Tier.INDIRECT_RESELLER:
        where, params = "c.reseller_id = %s", [actor.organisation_id]
        plan = "p.reseller_id = %s"
        plan_params = [actor.organisation_id]
    else:
        where, params = "c.organisation_id = %s", [actor.organisation_id]
        plan, plan_params = "TRUE", []
    where += (f" AND (EXISTS (SELECT 1 FROM azureplan_azureplan p WHERE p.customer_id = c.id AND {plan})"  # noqa: S608
              " OR EXISTS (SELECT 1 FROM billing_spendingbudget b0 WHERE b0.customer_id = c.id"
              " AND b0.amount IS NOT NULL))")
    params += plan_params
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where += " AND UPPER(c.company_name) LIKE UPPER(%s)"
        params.append(f"%{escaped}%")
    return where, params


_PARTNER_SQL = """
WITH spend AS (
    SELECT customer_id,
           SUM(billing_pre_tax_total) FILTER (WHERE rated_at IS NOT NULL AND billing_currency = %s) AS mtd,
           SUM(billing_pre_tax_total) FILTER (WHERE rated_at IS NOT NULL AND billing_currency = %s
                                              AND usage_date >= %s AND usage_date <= %s) AS window_sum,
           COUNT(*) FILTER (WHERE rated_at IS NULL) AS unrated
    FROM billing_usagerecord
    WHERE organisation_id = %s AND usage_date >= %s AND usage_date < %s AND not_rated_reason = ''{reseller}
    GROUP BY customer_id
), listed AS (
    SELECT c.id, c.tenant_id, c.company_name, COALESCE(s.mtd, 0) AS mtd, COALESCE(s.unrated, 0) AS unrated,
           b.amount AS budget, b.currency AS budget_currency,
           CASE WHEN %s THEN COALESCE(s.mtd, 0) + COALESCE(s.window_sum, 0) * %s / %s END AS forecast
    FROM customers_customer c
    LEFT JOIN spend s ON s.customer_id = c.id
    LEFT JOIN billing_spendingbudget b ON b.customer_id = c.id
    WHERE {where}
), ranked AS (
    SELECT listed.*,
           CASE WHEN budget IS NULL THEN 2 WHEN mtd > budget THEN 0 WHEN forecast > budget THEN 1 ELSE 2 END
               AS attention,
           CASE WHEN budget > 0 THEN mtd * 100 / budget END AS percent
    FROM listed
)
SELECT id, tenant_id, company_name, mtd, forecast, budget, budget_currency, percent, unrated,
       SUM(mtd) OVER () AS spend_total,
       COUNT(*) FILTER (WHERE attention = 0) OVER () AS n_over,
       COUNT(*) FILTER (WHERE attention = 1) OVER () AS n_trending,
       SUM(unrated) OVER () AS unrated_total
FROM ranked
ORDER BY {order}
LIMIT %s OFFSET %s
"""


def partner_spend_count(*, actor, search="") -> int:
    require(actor, Perm.VIEW_SPEND)
    where, params = _customers_where(actor, search)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM customers_customer c WHERE {where}", params)  # noqa: S608
        return cursor.fetchone()[0]


def partner_spend(*, actor, month, today, search="", sort="attention", offset=0, limit=50) -> PartnerSpendPage:
    """One page of the partner's customers with their spend of `month`, forecast, budget and percent of it, sorted by
    `sort` (SORTS; the default puts those over budget first, then those whose forecast is over it, then by spend)."""
    organisation = billing_organisation(actor=actor)
    month = month_start(month)
    currency = organisation.billing_currency
    is_current = month == month_start(today)
    window = forecast_window(organisation_id=organisation.pk, month=month, today=today)
    projecting = is_current and window.through is not None
    where, where_params = _customers_where(actor, search)
    reseller_sql, reseller_params = _reseller_clause(actor)
    sql = _PARTNER_SQL.format(reseller=reseller_sql, where=where, order=SORTS.get(sort, SORTS["attention"]))
    params = [currency, currency, window.first or month, window.through or month, organisation.pk, month,
              next_month(month), *reseller_params, projecting, window.days_left, max(window.days, 1), *where_params,
              limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    places = minor_units(currency)
    result = []
    # The last four columns are window totals over every listed customer: the same on each row.
    spend_total, over, trending, unrated_total = rows[0][-4:] if rows else (ZERO, 0, 0, 0)
    for pk, tenant_id, name, mtd, forecast, budget, budget_currency, percent, unrated, *_totals in rows:
        result.append(CustomerSpendRow(
            customer_id=pk, tenant_id=str(tenant_id), company_name=name, spend=mtd,
            forecast=round_half_even(forecast, places) if forecast is not None else None, budget=budget,
            budget_currency=budget_currency or currency,
            percent=round_half_even(percent, 1) if percent is not None else None,
            status=budget_status(mtd, forecast, budget), unrated_rows=unrated))
    return PartnerSpendPage(currency=currency, month=month, window=window, rows=result,
                            spend_total=spend_total or ZERO, over=over, trending=trending,
                            unrated_rows=int(unrated_total or 0))


# ---------------------------------------------------------------- the customer page's section


def customer_section(*, actor, customer, today) -> dict:
    """The "Spend this month" section of the customer page: the month to date, the budget and its percent."""
    require(actor, Perm.VIEW_SPEND)
    month = month_start(today)
    currency = customer.organisation.billing_currency
    reseller_sql, reseller_params = _reseller_clause(actor)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(billing_pre_tax_total) FILTER (WHERE rated_at IS NOT NULL AND billing_currency = %s), "  # noqa: S608
            "COUNT(*) FILTER (WHERE rated_at IS NULL), COUNT(*) FROM billing_usagerecord "
            "WHERE organisation_id = %s AND customer_id = %s AND usage_date >= %s AND usage_date < %s "
            f"AND not_rated_reason = ''{reseller_sql}",
            [currency, customer.organisation_id, customer.pk, month, next_month(month), *reseller_params])
        spend, unrated, rows = cursor.fetchone()
    budget = SpendingBudget.objects.filter(customer=customer).values_list("amount", "currency").first()
    amount = budget[0] if budget else None
    spend = spend or ZERO
    return {"month": month, "currency": currency, "spend": spend, "rows": rows, "unrated": unrated,
            "budget": amount, "budget_currency": (budget[1] if budget else "") or currency,
            "percent": budget_percent(spend, amount), "over": amount is not None and spend > amount}
