import uuid

from django.db import migrations

TEMPLATES = [
    # Partner Center's published agreement metadata (api-samples list-agreement-metadata*.response.json).
    ("117a77b0-9360-443b-8795-c6dedc750cf9", "MicrosoftCustomerAgreement", "https://aka.ms/customeragreement", 0),
    ("998b88de-aa99-4388-a42c-1b3517d49490", "MicrosoftCloudAgreement",
     "https://learn.microsoft.com/partner-center/agreements", 0),
]

SQL = """
CREATE OR REPLACE FUNCTION agreements_agreement_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'agreement confirmations are never edited or deleted (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_agreement_no_update_delete
    BEFORE UPDATE OR DELETE ON agreements_agreement
    FOR EACH ROW EXECUTE FUNCTION agreements_agreement_immutable();
"""
REVERSE = """
DROP TRIGGER IF EXISTS agreements_agreement_no_update_delete ON agreements_agreement;
DROP FUNCTION IF EXISTS agreements_agreement_immutable();
"""


def load(apps, schema_editor):
    Template = apps.get_model("agreements", "AgreementTemplate")
    for template_id, kind, link, rank in TEMPLATES:
        Template.objects.update_or_create(template_id=uuid.UUID(template_id),
                                          defaults={"agreement_type": kind, "agreement_link": link,
                                                    "version_rank": rank})


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop), migrations.RunSQL(SQL, REVERSE)]
