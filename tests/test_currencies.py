"""Every partner billing currency of the regional markets (accounts/data/regions.json) is in the
money module's currency table, so an organisation's billing currency can always be booked in."""

import json
from pathlib import Path

from core.money import CURRENCIES, Money, Rounding

REGIONS = Path(__file__).resolve().parent.parent / "accounts" / "data" / "regions.json"


def test_every_billing_currency_of_the_regions_is_known():
    data = json.loads(REGIONS.read_text(encoding="utf-8"))
    currencies = {country["currency"] for region in data["regions"] for country in region["countries"]}
    assert {"USD", "EUR", "GBP", "JPY", "KRW", "BRL"} <= currencies
    assert currencies - CURRENCIES.keys() == set()
    for code in currencies:
        assert Money("1.999", code).quantize(Rounding.DOWN).is_quantized
