from django.core.management.base import BaseCommand

from accounts.models import Country, Region
from accounts.regions import load_regions


class Command(BaseCommand):
    help = "Apply accounts/data/regions.json (regional markets, countries, currencies) to the database."

    def handle(self, *args, **options):
        count = load_regions(Region, Country)
        self.stdout.write(f"{Region.objects.count()} regions, {count} countries loaded.")
