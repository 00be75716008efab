"""A partial index of the usage rows rating has still to consider (billing.rating.statements.UNRATED): finding that a
month, or an organisation, has none no longer reads every row of it (a million-row month: about 0.5 s per check, on
every import, every `rate_usage` and every pass of the rating schedule over every organisation). It holds only the
unrated rows, so it stays small."""

from django.db import migrations

SQL = """
CREATE INDEX usagerecord_unrated ON billing_usagerecord (organisation_id, usage_date)
WHERE rated_at IS NULL AND not_rated_reason IN ('', 'no_price');
"""


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0009_unmatched_reason_wording'),
    ]

    operations = [
        migrations.RunSQL(SQL, reverse_sql="DROP INDEX usagerecord_unrated;"),
    ]
