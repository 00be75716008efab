"""Load the regional markets and countries from accounts/data/regions.json (data, not code)."""

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "regions.json"


def load_regions(Region, Country):
    """Create or update every region and country of the data file; returns the number of countries."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    count = 0
    for region in data["regions"]:
        obj, _ = Region.objects.update_or_create(
            code=region["code"], defaults={"name": region["name"], "name_fr": region["name_fr"]}
        )
        for country in region["countries"]:
            Country.objects.update_or_create(
                code=country["code"],
                defaults={"name": country["name"], "name_fr": country["name_fr"], "region": obj,
                          "currency": country["currency"]},
            )
            count += 1
    return count
