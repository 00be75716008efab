"""date_agreed reads back whatever the table holds (ReadableDateTimeField), and the append-only trigger lets one
sanctioned correction through: `manage.py repair_agreement_dates` may change date_agreed, and nothing else, in a
transaction that set `agreements.repair_dates` (docs/operations.md)."""

from django.db import migrations

import agreements.models

FUNCTION = "agreements_agreement_append_only"

REPAIRABLE = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('agreements.repair_dates', true) = 'on'
       AND (to_jsonb(NEW) - 'date_agreed') = (to_jsonb(OLD) - 'date_agreed') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'agreement confirmations are never edited or deleted (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

STRICT = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'agreement confirmations are never edited or deleted (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("agreements", "0003_templates_and_immutability")]

    operations = [
        migrations.AlterField(
            model_name="agreement",
            name="date_agreed",
            field=agreements.models.ReadableDateTimeField(),
        ),
        migrations.RunSQL(REPAIRABLE, STRICT),
    ]
