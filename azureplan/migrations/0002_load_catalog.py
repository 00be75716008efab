from django.db import migrations


def load(apps, schema_editor):
    from azureplan.catalog.loader import load_catalog

    load_catalog(apps.get_model("azureplan", "Product"), apps.get_model("azureplan", "Sku"),
                 apps.get_model("azureplan", "Availability"), apps.get_model("azureplan", "OfferComparison"),
                 apps.get_model("accounts", "Country"))


class Migration(migrations.Migration):
    dependencies = [("azureplan", "0001_initial"), ("accounts", "0002_load_regions")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
