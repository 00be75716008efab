"""The demo price lists and exchange rates (billing/demo.py) import through the import services, for this month and
the month before, whatever this month is, and a second load changes nothing."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from accounts.choices import Tier
from billing import demo
from billing.models import ExchangeRate, PriceList, PricingImport
from billing.pricing import demo_data

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def organisations(make_org):
    return {"direct": make_org(name="Demo Direct", tier=Tier.DIRECT_BILL)}


def _load(organisations, when):
    with time_machine.travel(when, tick=False):
        demo.load_demo(organisations)
        demo.load_demo(organisations)


def test_the_shipped_months_load_with_their_changes(organisations):
    _load(organisations, datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    months = {(p.market, p.view, p.month) for p in PriceList.objects.all()}
    assert months == {(m, v, month) for m in demo_data.MARKETS for v in demo_data.VIEWS
                      for month in (date(2026, 11, 1), date(2026, 12, 1))}
    later = PricingImport.objects.get(market="US", view="azure_consumption", month=date(2026, 12, 1))
    assert later.report["previousMonth"] == "2026-11"
    assert later.report["added"] > 0 and later.report["removed"] > 0 and later.report["changed"] > 0
    assert later.file_name == "pricesheet-US-azure_consumption-202612.csv"
    assert PriceList.objects.get(market="US", view="azure_consumption", month=date(2026, 12, 1)).row_count > 300
    rates = {(r.currency, r.month) for r in ExchangeRate.objects.all()}
    assert rates == {(c, m) for c in ("USD", "EUR", "GBP", "CAD") for m in (date(2026, 11, 1), date(2026, 12, 1))}
    # The second load imported nothing again.
    assert PricingImport.objects.count() == len(months) + 2


def test_another_month_gets_the_same_lists_with_its_dates(organisations):
    _load(organisations, datetime(2027, 3, 2, 9, 0, tzinfo=UTC))
    assert set(PriceList.objects.values_list("month", flat=True)) == {date(2027, 2, 1), date(2027, 3, 1)}
    assert set(ExchangeRate.objects.values_list("month", flat=True)) == {date(2027, 2, 1), date(2027, 3, 1)}
    report = PricingImport.objects.get(market="FR", view="azure_reservations", month=date(2027, 3, 1)).report
    assert report["previousMonth"] == "2027-02" and report["changed"] > 0
