"""Rating floors the cents per invoice line (plan, meter, charge type, PEC rate) since 2026-12 (docs/billing.md,
"Rounding choices"); before, per (plan, meter). Rows already rated the old way in a month not yet invoiced are marked
to rate again (rated_at NULL) where it matters: the (plan, meter) groups of a month with more than one line (a meter
used with and without PEC, or under two charge types). The rating schedule (or the next import, or a billing run's
check for unrated rows) rates them again; invoiced (closed) months keep their figures. Nothing to undo."""

from django.db import migrations

RERATE_SQL = """
UPDATE billing_usagerecord u SET rated_at = NULL
FROM (
    SELECT organisation_id, azure_plan_id, meter_id, date_trunc('month', usage_date)::date AS month
    FROM billing_usagerecord
    WHERE rated_at IS NOT NULL AND not_rated_reason = ''
    GROUP BY 1, 2, 3, 4
    HAVING count(DISTINCT (charge_type, pec_percentage)) > 1
) g
WHERE u.organisation_id = g.organisation_id AND u.azure_plan_id = g.azure_plan_id AND u.meter_id = g.meter_id
  AND u.usage_date >= g.month AND u.usage_date < (g.month + interval '1 month')::date
  AND u.rated_at IS NOT NULL AND u.not_rated_reason = ''
  AND NOT EXISTS (SELECT 1 FROM billing_closedusagemonth c
                  WHERE c.organisation_id = u.organisation_id AND c.month = g.month)
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0010_usagerecord_unrated_index")]

    operations = [migrations.RunSQL(RERATE_SQL, reverse_sql=migrations.RunSQL.noop)]
