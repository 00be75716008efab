from django.db import migrations

from core.db import append_only


def load(apps, schema_editor):
    from agreements.reference import load_templates

    load_templates(apps.get_model("agreements", "AgreementTemplate"))


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_initial")]
    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        append_only("agreements_agreement", "agreement confirmations"),
    ]
