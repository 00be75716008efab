from django.db import migrations


def load(apps, schema_editor):
    from azureplan.catalog.roles import load_azure_roles

    load_azure_roles(apps.get_model("azureplan", "AzureRole"))


class Migration(migrations.Migration):
    dependencies = [("azureplan", "0003_commerce")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
