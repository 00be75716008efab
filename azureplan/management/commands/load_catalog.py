from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from azureplan.catalog.loader import DATA_FILE, load_current_catalog


class Command(BaseCommand):
    help = (f"Apply {DATA_FILE.relative_to(DATA_FILE.parents[2])} (products, SKUs, availabilities per country, the "
            "Compare Azure offers rows) to the database. Run it after editing that file, or after load_regions "
            "changed a country's currency.")

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Another catalog file to apply (default: the shipped one)")

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                counts = load_current_catalog(path=options.get("file") or DATA_FILE)
        except KeyError as exc:
            raise CommandError(f"The catalog file lacks the property {exc}.") from None
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("{products} products, {skus} SKUs, {availabilities} availabilities, {comparison} comparison "
                          "rows loaded.".format(**counts))
