"""Reads of billing.rating: rows left unrated (and why), the PEC calendar of an Azure subscription and the PEC
mismatches with Microsoft's own figures. The engine's reads take an organisation id; the page's reads take the actor
and are scoped to it (azureplan's tenancy rule: the selling partner, or the reseller of record of its customer)."""

from datetime import date, timedelta

from django.db import connection

from ..models import UsageRecord
from ..usage.partitions import month_start, next_month

_UNRATED_SQL = """
SELECT product_id, sku_id, meter_id, min(meter_name), not_rated_reason, count(*), sum(quantity), min(usage_date),
       max(usage_date)
FROM {usage}
WHERE organisation_id = %s AND usage_date >= %s AND usage_date < %s AND rated_at IS NULL AND not_rated_reason <> 'legacy'
GROUP BY product_id, sku_id, meter_id, not_rated_reason ORDER BY product_id, sku_id, meter_id
"""


def unrated_usage(*, organisation_id: int, month: date) -> list[dict]:
    """The usage of `month` that rating left unrated, by meter: [{product_id, sku_id, meter_id, meter_name, reason,
    rows, quantity, first_day, last_day}]. `reason` is 'no_price' (no row of the partner's price list prices it on
    that day) or '' (not rated yet). Legacy rows (before a cut-over) are not rated by design and not listed. A billing
    run refuses a month while this is not empty."""
    m0 = month_start(month)
    with connection.cursor() as cursor:
        cursor.execute(_UNRATED_SQL.format(usage=UsageRecord._meta.db_table),
            [organisation_id, m0, next_month(m0)])
        names = ["product_id", "sku_id", "meter_id", "meter_name", "reason", "rows", "quantity", "first_day",
                 "last_day"]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# ---------------------------------------------------------------- the PEC calendar and mismatches


def _require_visible(actor, sub):
    """The Azure subscription as the actor may see it (azureplan's tenancy rule) and Perm.VIEW_PEC; 404 otherwise."""
    from accounts.permissions import Perm, require
    from azureplan.models import AzureSubscription
    from core.tenancy import get_for_actor_or_404

    require(actor, Perm.VIEW_PEC)
    return get_for_actor_or_404(AzureSubscription.objects.select_related("plan__customer"), actor, pk=sub.pk)


def _not_eligible_runs(days) -> list[dict]:
    """The decided days without PEC as runs of consecutive days with one reason: [{first, last, reason, reason_label}] (the
    calendar's reasons in words, for who cannot hover a day)."""
    runs = []
    for d in days:
        if d["future"] or d["eligible"]:
            continue
        last = runs[-1] if runs else None
        if last and last["reason"] == d["reason"] and (d["day"] - last["last"]).days == 1:
            last["last"] = d["day"]
        else:
            runs.append({"first": d["day"], "last": d["day"], "reason": d["reason"], "reason_label": d["reason_label"]})
    return runs


def pec_calendar(*, actor, sub, month: date, today: date | None = None) -> dict:
    """The PEC days of one Azure subscription in `month`: {month, weeks: [[day or None] x 7], resource_groups:
    [{name, eligible_days, days}], decided: bool}. Each day: {day, eligible, reason, reason_label, role, holder_id,
    future, stored}. A day rating has not decided yet (no usage imported) shows the decision computed now; days after
    `today` (UTC) are not decided."""
    import calendar

    from django.utils import timezone

    from ..models import PecDay, PecReason
    from .pec import pec_decisions

    sub = _require_visible(actor, sub)
    organisation_id = sub.plan.customer.organisation_id
    m0 = month_start(month)
    last = next_month(m0) - timedelta(days=1)
    today = today or timezone.now().date()
    stored = {(p.resource_group, p.day): p for p in PecDay.objects.filter(azure_subscription=sub, day__range=(m0, last))}
    decided_to = min(last, today)
    computed = {}
    if decided_to >= m0 and len([k for k in stored if k[0] == ""]) < (decided_to - m0).days + 1:
        computed = {(d["resource_group"], d["day"]): d for d in pec_decisions(
            organisation_id=organisation_id, azure_subscription_id=sub.pk, first_day=m0, last_day=decided_to)}
    labels = dict(PecReason.choices)

    def cell(rg, day):
        row = stored.get((rg, day))
        if row is not None and day <= today:  # a day to come is not decided, whatever rating wrote ahead for it
            values = {"eligible": row.eligible, "reason": row.reason, "role": row.role,
                      "holder_id": row.holder_organisation_id, "stored": True}
        elif day <= today and (rg, day) in computed:
            d = computed[(rg, day)]
            values = {"eligible": d["eligible"], "reason": d["reason"], "role": d["role"],
                      "holder_id": d["holder_organisation_id"], "stored": False}
        else:
            return {"day": day, "future": True, "eligible": None, "reason": "", "reason_label": "", "role": ""}
        return {"day": day, "future": False, "reason_label": labels.get(values["reason"], values["reason"]),
                **values}

    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(m0.year, m0.month):
        weeks.append([cell("", d) if d.month == m0.month else None for d in week])
    groups = sorted({rg for rg, _d in list(stored) + list(computed) if rg})
    resource_groups = []
    for rg in groups:
        days = [cell(rg, m0 + timedelta(days=i)) for i in range((last - m0).days + 1)]
        resource_groups.append({"name": rg, "eligible_days": sum(1 for d in days if d["eligible"]),
                                "days": sum(1 for d in days if not d["future"])})
    return {"month": m0, "weeks": weeks, "resource_groups": resource_groups,
            "not_eligible": _not_eligible_runs([d for w in weeks for d in w if d]),
            "eligible_days": sum(1 for w in weeks for d in w if d and d["eligible"]),
            "decided_days": sum(1 for w in weeks for d in w if d and not d["future"])}


_MISMATCH_SQL = """
SELECT u.azure_subscription_id, u.ms_pec_percentage, u.pec_percentage, array_agg(DISTINCT u.usage_date),
       count(*), sum(u.unit_price * u.quantity * (u.pec_percentage - u.ms_pec_percentage) * 0.01),
       sum(u.unit_price * u.quantity * (u.pec_percentage - u.ms_pec_percentage) * 0.01 * u.exchange_rate),
       min(u.billing_currency)
FROM {usage} u
WHERE u.organisation_id = %(org)s AND u.usage_date >= %(m0)s AND u.usage_date < %(m1)s {sub_filter}
  AND u.rated_at IS NOT NULL AND u.ms_pec_percentage IS NOT NULL AND u.ms_pec_percentage <> u.pec_percentage
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


def pec_mismatches(*, organisation_id: int, month: date, azure_subscription_ids=None) -> list[dict]:
    """Rated usage of `month` where Microsoft's PartnerEarnedCreditPercentage (as imported) differs from ours, by Azure
    subscription and (Microsoft's %, ours): [{azure_subscription_id, ms_percentage, our_percentage, days, rows,
    owed_usd, owed_billing, billing_currency, owed}]. `owed` is True when we decided PEC and Microsoft did not give it:
    money the partner is owed, `owed_usd` = ROUNDDOWN(sum of UnitPrice x Quantity x (ours - Microsoft's) / 100, 2)
    (pricing currency) and `owed_billing` the same through each row's exchange rate, rounded down. When Microsoft gave
    PEC we did not decide, the amounts are negative (given, not owed: the partner may have to give it back)."""
    from decimal import ROUND_DOWN, Decimal

    m0 = month_start(month)
    sub_filter = "AND u.azure_subscription_id = ANY(%(subs)s)" if azure_subscription_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(_MISMATCH_SQL.format(usage=UsageRecord._meta.db_table, sub_filter=sub_filter),
                       {"org": organisation_id, "m0": m0, "m1": next_month(m0),
                        "subs": list(azure_subscription_ids or [])})
        rows = cursor.fetchall()
    cent = Decimal("0.01")
    out = []
    for sub_id, ms, ours, days, count, usd, billing, currency in rows:
        out.append({"azure_subscription_id": sub_id, "ms_percentage": ms, "our_percentage": ours,
                    "days": sorted(days), "rows": count, "owed": ours > ms,
                    "owed_usd": usd.quantize(cent, rounding=ROUND_DOWN),
                    "owed_billing": billing.quantize(cent, rounding=ROUND_DOWN), "billing_currency": currency})
    return out


def pec_mismatches_of_subscription(*, actor, sub, month: date) -> list[dict]:
    """pec_mismatches of one Azure subscription the actor may see (Perm.VIEW_PEC)."""
    sub = _require_visible(actor, sub)
    return pec_mismatches(organisation_id=sub.plan.customer.organisation_id, month=month,
                          azure_subscription_ids=[sub.pk])
