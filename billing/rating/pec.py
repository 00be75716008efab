"""Partner earned credit decided per day (domain.md §2.12, §3.5; docs/billing.md "Partner earned credit").

One `PecDay` row per Azure subscription of the organisation and day (resource_group ''), plus one per resource group
that has an assignment of its own (resource_group: its name in lower case; Azure's names are case-insensitive). A
day is eligible when, for the WHOLE day (00:00 to 24:00 UTC), the billing partner (the customer's selling
organisation) or the plan's indirect reseller of record held a PEC-eligible Azure role on the subscription (or, for
a resource group's row, on the subscription or on that group): the union of their assignments' intervals must cover
the day, so a role removed at 10:00 and another granted at 09:00 still cover it. An unrelated partner's access
never counts (the multi-partner matrix, §3.5.8). Product exclusions (ThirdParty, benefits, Spot, Marketplace,
legacy) are per usage row and decided by rating, not here.

Everything is one set-based statement over generate_series(days) x scopes; the days not decided yet are inserted
and a decided day is only updated when its decision changed (the others are neither written nor locked). When a
day's percentage changes, the rated usage rows of that subscription and day are set back to unrated, so the next
rating re-rates their meters (and only those). Days of a month already invoiced (ClosedUsageMonth) are never decided
again.
"""

from contextlib import contextmanager
from datetime import date, timedelta

from django.db import connection

from azureplan.models import AzurePlan, AzureRole, AzureSubscription, RoleAssignment
from customers.models import Customer

from ..models import ClosedUsageMonth, PecDay, PecReason, UsageRecord

PEC_PERCENT = 15

# The decision for every (scope, day) of one organisation, as a SELECT (used to write, and to show a month that has
# no stored decision yet). Parameters: org, first, last.
_DECISION_SQL = """
WITH subs AS (
    SELECT s.id AS sub_id, c.organisation_id AS billing_id, p.reseller_id, s.status, s.created_at, s.cancelled_at,
           s.deleted_at
    FROM {sub} s JOIN {plan} p ON p.id = s.plan_id JOIN {customer} c ON c.id = p.customer_id
    WHERE c.organisation_id = %(org)s {sub_filter}
), scopes AS (
    SELECT sub_id, '' AS rg FROM subs
    UNION
    SELECT ra.azure_subscription_id, lower(ra.resource_group)
    FROM {ra} ra JOIN subs ON subs.sub_id = ra.azure_subscription_id
    WHERE ra.resource_group <> ''
), assignments AS (  -- every assignment that bears on a scope, with its interval
    SELECT sc.sub_id, sc.rg, ra.partner_id, ra.role_id, r.pec_eligible, ra.granted_at AS s,
           coalesce(ra.removed_at, 'infinity'::timestamptz) AS e,
           (coalesce(ra.partner_id = subs.billing_id, false)
            OR coalesce(ra.partner_id = subs.reseller_id, false)) AS ours,
           coalesce(ra.partner_id = subs.billing_id, false) AS by_billing
    FROM scopes sc JOIN subs ON subs.sub_id = sc.sub_id
    JOIN {ra} ra ON ra.azure_subscription_id = sc.sub_id AND (ra.resource_group = '' OR lower(ra.resource_group) = sc.rg)
    JOIN {role} r ON r.name = ra.role_id
    WHERE ra.granted_at < %(end)s AND coalesce(ra.removed_at, 'infinity'::timestamptz) > %(start)s
      AND coalesce(ra.removed_at, 'infinity'::timestamptz) > ra.granted_at
), eligible AS (  -- ours and PEC-eligible, merged into islands of continuous holding
    SELECT sub_id, rg, s, e,
           CASE WHEN s <= max(e) OVER (PARTITION BY sub_id, rg ORDER BY s, e
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS starts
    FROM assignments WHERE ours AND pec_eligible
), numbered AS (
    SELECT sub_id, rg, s, e, sum(starts) OVER (PARTITION BY sub_id, rg ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS n
    FROM eligible
), islands AS (
    SELECT sub_id, rg, min(s) AS s, max(e) AS e FROM numbered GROUP BY sub_id, rg, n
), days AS (  -- over integers, so the planner knows how many days (over dates it assumes 1,000)
    SELECT %(first)s::date + i AS day, (%(first)s::date + i)::timestamp AT TIME ZONE 'UTC' AS ds,
           (%(first)s::date + i + 1)::timestamp AT TIME ZONE 'UTC' AS de
    FROM generate_series(0, %(days)s - 1) i
), grid AS (
    SELECT sc.sub_id, sc.rg, d.day, d.ds, d.de FROM scopes sc CROSS JOIN days d
), covered AS (
    SELECT g.sub_id, g.rg, g.day FROM grid g JOIN islands i ON i.sub_id = g.sub_id AND i.rg = g.rg
    WHERE i.s <= g.ds AND i.e >= g.de GROUP BY 1, 2, 3
), touching AS (  -- what held a role during part or all of the day
    SELECT g.sub_id, g.rg, g.day,
           bool_or(a.ours AND a.pec_eligible) AS ours_eligible,
           min(a.role_id) FILTER (WHERE a.ours AND a.pec_eligible AND a.by_billing) AS billing_role,
           min(a.role_id) FILTER (WHERE a.ours AND a.pec_eligible AND NOT a.by_billing) AS reseller_role,
           min(a.partner_id) FILTER (WHERE a.ours AND a.pec_eligible AND NOT a.by_billing) AS reseller_id,
           bool_or(a.partner_id IS NOT NULL AND NOT a.ours) AS other_partner
    FROM grid g JOIN assignments a ON a.sub_id = g.sub_id AND a.rg = g.rg
    WHERE a.s < g.de AND a.e > g.ds GROUP BY 1, 2, 3
), decided AS (
    SELECT g.sub_id, g.rg, g.day, subs.billing_id,
           CASE WHEN g.de <= subs.created_at OR g.ds >= subs.deleted_at
                     OR (subs.status <> 'active' AND g.ds >= subs.cancelled_at) THEN 'inactive'
                WHEN cv.sub_id IS NOT NULL THEN 'covered'
                ELSE 'not' END AS state,
           t.ours_eligible, t.billing_role, t.reseller_role, t.reseller_id, t.other_partner
    FROM grid g JOIN subs ON subs.sub_id = g.sub_id
    LEFT JOIN covered cv ON cv.sub_id = g.sub_id AND cv.rg = g.rg AND cv.day = g.day
    LEFT JOIN touching t ON t.sub_id = g.sub_id AND t.rg = g.rg AND t.day = g.day
)
SELECT billing_id AS organisation_id, sub_id AS azure_subscription_id, rg AS resource_group, day,
       state = 'covered' AS eligible,
       CASE WHEN state = 'covered' THEN {pec} ELSE 0 END::numeric(7, 4) AS percentage,
       CASE WHEN state = 'inactive' THEN '{inactive}'
            WHEN state = 'covered' AND billing_role IS NOT NULL THEN '{role_held}'
            WHEN state = 'covered' THEN '{reseller_role_held}'
            WHEN ours_eligible THEN '{part_of_day}'
            WHEN other_partner THEN '{other_partner}'
            ELSE '{no_role}' END AS reason,
       CASE WHEN state <> 'covered' THEN NULL WHEN billing_role IS NOT NULL THEN billing_id
            ELSE reseller_id END AS holder_organisation_id,
       CASE WHEN state <> 'covered' THEN '' ELSE coalesce(billing_role, reseller_role, '') END AS role
FROM decided
"""


def _decision_sql(sub_filter: str = "") -> str:
    return _DECISION_SQL.format(
        sub=AzureSubscription._meta.db_table, plan=AzurePlan._meta.db_table, customer=Customer._meta.db_table,
        ra=RoleAssignment._meta.db_table, role=AzureRole._meta.db_table, pec=PEC_PERCENT, sub_filter=sub_filter,
        inactive=PecReason.SUBSCRIPTION_INACTIVE.value, role_held=PecReason.ROLE_HELD.value,
        reseller_role_held=PecReason.RESELLER_ROLE_HELD.value, part_of_day=PecReason.PART_OF_DAY.value,
        other_partner=PecReason.OTHER_PARTNER.value, no_role=PecReason.NO_ROLE.value)


def _params(organisation_id, first_day, last_day, **more):
    from datetime import UTC, datetime, time

    return {"org": organisation_id, "first": first_day, "last": last_day, "days": (last_day - first_day).days + 1,
            "start": datetime.combine(first_day, time.min, tzinfo=UTC),
            "end": datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC), **more}


_COLUMNS = ("organisation_id", "azure_subscription_id", "resource_group", "day", "eligible", "percentage", "reason",
            "holder_organisation_id", "role")

_WRITE_SQL = """
WITH decision AS ({decision}),
open_days AS (
    SELECT d.* FROM decision d
    WHERE NOT EXISTS (SELECT 1 FROM {closed} cm WHERE cm.organisation_id = d.organisation_id
                      AND cm.month = date_trunc('month', d.day)::date)
), previous AS (
    SELECT p.id, p.azure_subscription_id, p.resource_group, p.day, p.percentage, p.organisation_id, p.eligible,
           p.reason, p.holder_organisation_id, p.role FROM {pecday} p
    WHERE p.organisation_id = %(org)s AND p.day BETWEEN %(first)s AND %(last)s
), inserted AS (  -- days not decided yet (DO NOTHING: a concurrent decision of the same day wrote it first)
    INSERT INTO {pecday} ({columns}, decided_at)
    SELECT {columns}, now() FROM open_days d
    WHERE NOT EXISTS (SELECT 1 FROM previous p WHERE p.azure_subscription_id = d.azure_subscription_id
                      AND p.resource_group = d.resource_group AND p.day = d.day)
    ON CONFLICT (azure_subscription_id, resource_group, day) DO NOTHING
    RETURNING azure_subscription_id, resource_group, day, percentage
), updated AS (  -- days whose decision changed; the others are not touched (no new row version, no lock)
    UPDATE {pecday} u SET organisation_id = d.organisation_id, eligible = d.eligible, percentage = d.percentage,
        reason = d.reason, holder_organisation_id = d.holder_organisation_id, role = d.role, decided_at = now()
    FROM open_days d JOIN previous p ON p.azure_subscription_id = d.azure_subscription_id
                                    AND p.resource_group = d.resource_group AND p.day = d.day
    WHERE u.id = p.id AND (p.organisation_id, p.eligible, p.percentage, p.reason, p.holder_organisation_id, p.role)
          IS DISTINCT FROM (d.organisation_id, d.eligible, d.percentage, d.reason, d.holder_organisation_id, d.role)
    RETURNING u.azure_subscription_id, u.resource_group, u.day, u.percentage
), written AS (
    SELECT * FROM inserted UNION ALL SELECT * FROM updated
), changed AS (  -- (subscription, day) whose percentage is new or different: their rated usage is rated again
    SELECT DISTINCT w.azure_subscription_id, w.day FROM written w
    LEFT JOIN previous p ON p.azure_subscription_id = w.azure_subscription_id AND p.resource_group = w.resource_group
                        AND p.day = w.day
    WHERE p.percentage IS DISTINCT FROM w.percentage
), unrated AS (
    UPDATE {usage} u SET rated_at = NULL FROM changed c
    WHERE u.organisation_id = %(org)s AND u.usage_date BETWEEN %(first)s AND %(last)s
      AND u.azure_subscription_id = c.azure_subscription_id AND u.usage_date = c.day
      AND u.rated_at IS NOT NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM unrated)
"""


@contextmanager
def _without_jit(cursor):
    """No JIT compilation for the decision: a month of 3,000 subscriptions is 90,000 small rows, decided in about
    0.1 s, but its plan's cost is above jit_above_cost and compiling it took about 1.7 s (docs/operations.md).
    The setting is transaction-local and put back afterwards, since the import's transaction goes on (after an
    error the rollback puts it back)."""
    cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    before = cursor.fetchone()[0]
    yield
    if before != "off":
        cursor.execute("SELECT set_config('jit', %s, true)", [before])


def pec_decide(*, organisation_id: int, first_day: date, last_day: date) -> int:
    """Decide PEC for every Azure subscription of the organisation (and every resource group with an assignment of
    its own) and every day first_day..last_day; answer the number of PecDay rows written (0 when nothing changed).
    Rated usage of a (subscription, day) whose percentage changed is set back to unrated."""
    if last_day < first_day:
        return 0
    sql = _WRITE_SQL.format(decision=_decision_sql(), closed=ClosedUsageMonth._meta.db_table,
                            pecday=PecDay._meta.db_table, usage=UsageRecord._meta.db_table,
                            columns=", ".join(_COLUMNS))
    with connection.cursor() as cursor, _without_jit(cursor):
        cursor.execute(sql, _params(organisation_id, first_day, last_day))
        written, _unrated = cursor.fetchone()
    return written


def pec_decisions(*, organisation_id: int, azure_subscription_id: int, first_day: date, last_day: date) -> list[dict]:
    """The decisions pec_decide would write for one Azure subscription, without writing: what the calendar shows for
    days that have no stored decision yet."""
    sql = _decision_sql("AND s.id = %(sub)s") + " ORDER BY resource_group, day"
    with connection.cursor() as cursor, _without_jit(cursor):
        cursor.execute(sql, _params(organisation_id, first_day, last_day, sub=azure_subscription_id))
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
