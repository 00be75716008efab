"""Price sheet and FX imports (services) and the engine's reads (price_on, fx_rate_on)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.choices import Role, Tier
from billing.errors import FxRateAlreadySet, FxRatesInvalid, PriceSheetInvalid
from billing.models import ExchangeRate, PriceList, PriceSheetRow, PricingImport
from billing.pricing import selectors, services
from core.errors import InvalidInput, PermissionDenied
from core.models import AuditEvent
from core.testing import fixture_text

from .sheets import MAX_TIER, OPEN_END, STORAGE_METER, VM_METER, fx, row, sheet, storage_tiers

pytestmark = [pytest.mark.django_db]
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ga(make_user, actor_of):
    return actor_of(make_user(Role.GLOBAL_ADMIN))


def _import(actor, content, month="2026-12", market="US", view="azure_consumption"):
    return services.price_sheet_import(actor=actor, file=content, market=market, view=view, month=month,
                                       file_name="sheet.csv")


def _nothing_imported():
    assert PriceList.objects.count() == 0 and PriceSheetRow.objects.count() == 0
    assert PricingImport.objects.count() == 0
    assert not AuditEvent.objects.filter(action="price_list.imported").exists()


def _bad(actor, content, **kwargs):
    with pytest.raises(PriceSheetInvalid) as caught:
        _import(actor, content, **kwargs)
    return caught.value.data


# ---------------------------------------------------------------- the happy path


def test_import_stores_the_rows_in_microsofts_columns_and_audits(ga):
    result = _import(ga, sheet())
    assert not result.unchanged and result.rows_written == 4
    price_list = PriceList.objects.get()
    assert (price_list.market, price_list.view, price_list.month, price_list.row_count) == (
        "US", "azure_consumption", date(2026, 12, 1), 4)
    assert len(price_list.source_sha256) == 64
    vm = PriceSheetRow.objects.get(product_id="DZH318Z0BQ4X")
    assert vm.unit_price == Decimal("0.096") and vm.tier_min is None and vm.tier_max is None
    assert vm.effective_start == datetime(2026, 12, 1, tzinfo=UTC)
    assert vm.effective_end == datetime(9999, 11, 30, 23, 59, 59, tzinfo=UTC)
    top = PriceSheetRow.objects.get(product_id="DZH318Z0BNVX", tier_min=512000)
    assert top.tier_max == Decimal(MAX_TIER)
    event = AuditEvent.objects.get(action="price_list.imported")
    assert event.data["sha256"] == price_list.source_sha256 and event.actor_user_id == ga.user_id
    assert result.report["previousMonth"] is None and result.report["rowCount"] == 4


@pytest.mark.parametrize("options", [
    {"quoted": False}, {"bom": True}, {"bom": True, "quoted": False}, {"newline": "\n"},
])
def test_header_quoted_or_not_with_or_without_bom(ga, options):
    _import(ga, sheet(**options))
    assert PriceSheetRow.objects.count() == 4


def test_columns_in_another_order_are_found_by_name(ga):
    from .sheets import HEADER

    order = list(reversed(range(len(HEADER))))
    rows = [[r[i] for i in order] for r in [row(), *storage_tiers()]]
    _import(ga, sheet(rows, header=[HEADER[i] for i in order]))
    assert PriceSheetRow.objects.get(product_id="DZH318Z0BQ4X").unit_price == Decimal("0.096")


def test_same_file_again_changes_nothing_and_says_so(ga):
    _import(ga, sheet())
    ids = set(PriceSheetRow.objects.values_list("id", flat=True))
    again = _import(ga, sheet())
    assert again.unchanged and again.rows_written == 0
    assert "nothing was changed" in again.report["message"]
    assert set(PriceSheetRow.objects.values_list("id", flat=True)) == ids
    # Same content written differently (unquoted): checked and upserted, still 0 rows written.
    third = _import(ga, sheet(quoted=False))
    assert third.unchanged and third.rows_written == 0
    assert PricingImport.objects.count() == 3


def test_a_new_version_of_the_month_replaces_its_rows(ga):
    _import(ga, sheet())
    result = _import(ga, sheet([row(price="0.1")]))
    assert result.rows_written == 4  # one updated, three storage tiers deleted
    assert list(PriceSheetRow.objects.values_list("unit_price", flat=True)) == [Decimal("0.1")]


def test_report_against_the_previous_month(ga):
    _import(ga, sheet([row(start="11/1/2026 12:00:00 AM"), *storage_tiers(start="11/1/2026 12:00:00 AM"),
                       row(product_id="DZH318Z0OLD1", sku_id="0001", price="1")]), month="2026-11")
    december = [row(price="0.12"), *storage_tiers(), row(product_id="DZH318Z0NEW1", sku_id="0001", price="2")]
    report = _import(ga, sheet(december)).report
    assert report["previousMonth"] == "2026-11"
    assert (report["added"], report["removed"], report["changed"]) == (1, 1, 1)
    changed = report["changedMeters"][0]
    assert (changed["productId"], changed["oldPrice"], changed["newPrice"], changed["changePercent"]) == (
        "DZH318Z0BQ4X", "0.096", "0.12", "25.00")
    assert report["addedMeters"][0]["productId"] == "DZH318Z0NEW1"
    assert report["removedMeters"][0]["productId"] == "DZH318Z0OLD1"


def test_months_keep_their_history_and_price_on_picks_the_covering_row(ga):
    _import(ga, sheet([row(price="0.09", start="11/1/2026 12:00:00 AM")]), month="2026-11")
    # December: the old price until the 14th, a new one from the 15th.
    _import(ga, sheet([row(price="0.09", start="11/1/2026 12:00:00 AM", end="12/14/2026 11:59:59 PM"),
                       row(price="0.11", start="12/15/2026 12:00:00 AM")]))
    price = lambda day: [r.unit_price for r in selectors.price_on(  # noqa: E731
        market="US", view="azure_consumption", product_id="DZH318Z0BQ4X", sku_id="003C", on_date=day)]
    assert price(date(2026, 11, 20)) == [Decimal("0.09")]
    assert price(date(2026, 12, 3)) == [Decimal("0.09")]
    assert price(date(2026, 12, 20)) == [Decimal("0.11")]
    assert price(date(2026, 10, 1)) == []
    assert selectors.price_on(market="US", view="azure_consumption", product_id="DZH318Z0BQ4X", sku_id="003C",
                              meter_id=VM_METER.upper(), on_date=date(2026, 12, 20))[0].unit_price == Decimal("0.11")


def test_price_on_returns_the_tiers_in_order(ga):
    _import(ga, sheet())
    tiers = selectors.price_on(market="US", view="azure_consumption", product_id="DZH318Z0BNVX", sku_id="0016",
                               meter_id=STORAGE_METER, on_date=date(2026, 12, 6))
    assert [(t.tier_min, t.unit_price) for t in tiers] == [(0, Decimal("0.0184")), (51200, Decimal("0.0177")),
                                                           (512000, Decimal("0.017"))]


def test_microsoft_tier_example_one_above_the_previous_maximum(ga):
    rows = [row(product_id="P1", sku_id="S1", price=p, tier_min=lo, tier_max=hi)
            for p, lo, hi in (("1.00", "1", "100"), ("0.80", "101", "100000"), ("0.50", "100001", MAX_TIER))]
    _import(ga, sheet(rows))
    assert PriceSheetRow.objects.filter(product_id="P1").count() == 3


# ---------------------------------------------------------------- who


@pytest.mark.parametrize("role", [Role.ADMIN_AGENT, Role.SALES_AGENT, Role.BILLING_ADMIN, Role.USER_MANAGEMENT_ADMIN])
def test_only_global_admins_import(make_user, actor_of, role):
    with pytest.raises(PermissionDenied):
        _import(actor_of(make_user(role)), sheet())
    _nothing_imported()


def test_indirect_resellers_do_not_import(make_org, make_user, actor_of):
    provider = make_org(name="Provider", tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(name="Reseller", tier=Tier.INDIRECT_RESELLER, provider=provider)
    with pytest.raises(PermissionDenied):
        _import(actor_of(make_user(Role.GLOBAL_ADMIN, organisation=reseller)), sheet())


# ---------------------------------------------------------------- bad input and limits: nothing imported


def test_market_not_sold(ga):
    with pytest.raises(InvalidInput) as caught:
        _import(ga, sheet(), market="ZZ")
    assert caught.value.field == "market" and "does not sell" in str(caught.value.description)
    _nothing_imported()


def test_row_of_another_market_names_the_line(ga):
    data = _bad(ga, sheet([row(), row(sku_id="003D", market="GB")]))
    assert data == [{"line": 3, "column": "Market", "reason": data[0]["reason"]}]
    _nothing_imported()


def test_month_beyond_next_month(ga):
    _import(ga, sheet([row(start="1/1/2027 12:00:00 AM")]), month="2027-01")  # next month: allowed
    with pytest.raises(InvalidInput) as caught:
        _import(ga, sheet(), month="2027-02")
    assert caught.value.field == "month" and "beyond next month" in str(caught.value.description)
    assert PriceList.objects.count() == 1


def test_unknown_view(ga):
    with pytest.raises(InvalidInput) as caught:
        _import(ga, sheet(), view="marketplace")
    assert caught.value.field == "view" and "azure_consumption" in str(caught.value.description)
    _nothing_imported()


def test_non_numeric_and_negative_prices_list_every_bad_line(ga):
    data = _bad(ga, sheet([row(), row(sku_id="A", price="abc"), row(sku_id="B", price="-0.5"),
                           row(sku_id="C", price="")]))
    assert [(d["line"], d["column"]) for d in data] == [(3, "UnitPrice"), (4, "UnitPrice"), (5, "UnitPrice")]
    assert "not a number" in data[0]["reason"] and "negative" in data[1]["reason"] and "empty" in data[2]["reason"]
    _nothing_imported()


def test_overlapping_tiers(ga):
    data = _bad(ga, sheet(storage_tiers()[:1] + [row(product_id="DZH318Z0BNVX", sku_id="0016", price="0.0177",
                                                     tier_min="40000", tier_max=MAX_TIER)]))
    assert data[0]["line"] == 3 and data[0]["column"] == "PricingTierRangeMin" and "overlaps" in data[0]["reason"]
    assert "line 2" in data[0]["reason"]
    _nothing_imported()


def test_tier_gap(ga):
    tiers = storage_tiers()
    tiers[1][11] = "60000"  # 0-51200 then 60000-512000
    data = _bad(ga, sheet(tiers))
    assert data[0]["line"] == 3 and "gap" in data[0]["reason"]
    _nothing_imported()


def test_end_date_before_start_date(ga):
    data = _bad(ga, sheet([row(start="12/10/2026 12:00:00 AM", end="12/1/2026 12:00:00 AM")]))
    assert data == [{"line": 2, "column": "EffectiveEndDate", "reason": data[0]["reason"]}]
    assert "precedes" in data[0]["reason"]


@pytest.mark.parametrize("value", ["2/30/2026 12:00:00 AM", "13/1/2026", "yesterday", "12/1/2026 13:00:00 PM"])
def test_impossible_dates(ga, value):
    data = _bad(ga, sheet([row(), row(sku_id="X", start=value)]))
    assert data[0]["line"] == 3 and data[0]["column"] == "EffectiveStartDate"


def test_duplicate_key(ga):
    data = _bad(ga, sheet([row(), row(price="0.5"), row(sku_id="OTHER")]))
    assert data == [{"line": 3, "column": "PricingTierRangeMin", "reason": data[0]["reason"]}]
    assert "Duplicate of line 2" in data[0]["reason"]
    _nothing_imported()


@pytest.mark.parametrize("content, reason", [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not Microsoft's price sheet"),
    (b'{"items": [1, 2, 3]}', "not Microsoft's price sheet"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("\ufeffProductTitle;ProductId\n".encode(), "not Microsoft's price sheet"),
])
def test_file_that_is_not_csv(ga, content, reason):
    data = _bad(ga, content)
    assert data[0]["line"] == 1 and reason in data[0]["reason"]
    _nothing_imported()


def test_zero_byte_file(ga):
    data = _bad(ga, b"")
    assert data[0]["line"] == 1 and "empty" in data[0]["reason"]
    _nothing_imported()


def test_header_only(ga):
    data = _bad(ga, sheet([]))
    assert data[0]["line"] == 2


def test_missing_column(ga):
    from .sheets import HEADER

    data = _bad(ga, sheet([row()[:-1]], header=HEADER[:-1]))
    assert data[0]["column"] == "Tags" and "missing" in data[0]["reason"]


def test_line_with_too_many_fields(ga):
    content = sheet() + b'"x","y"\r\n'
    data = _bad(ga, content)
    assert data[0]["line"] == 6 and "number of columns" in data[0]["reason"]
    _nothing_imported()


def test_not_utf8(ga):
    content = sheet([row(product_title="Caf\u00e9")]).replace("Café".encode(), b"Caf\xe9")
    data = _bad(ga, content)
    assert data[0]["line"] == 2 and "UTF-8" in data[0]["reason"]


def test_a_bad_file_leaves_the_previous_version_untouched(ga):
    _import(ga, sheet())
    before = list(PriceSheetRow.objects.order_by("id").values_list("id", "unit_price"))
    _bad(ga, sheet([row(price="0.2"), row(sku_id="X", price="-1")]))
    assert list(PriceSheetRow.objects.order_by("id").values_list("id", "unit_price")) == before


# ---------------------------------------------------------------- exchange rates


def _fx(actor, content, month=None):
    return services.fx_rates_import(actor=actor, file=content, month=month, file_name="fx.csv")


def test_fx_import_and_rate_of_the_month(ga):
    result = _fx(ga, fx([["EUR", "1.08", "202612"], ["GBP", "1.27", "202612"], ["AED", "0.27224589249009701",
                                                                                "2026-12"]]))
    assert result.rows_written == 3 and result.report["months"] == ["2026-12"]
    assert selectors.fx_rate_on(currency="AED", on_date=date(2026, 12, 31)) == Decimal("0.27224589249009701")
    assert selectors.fx_rate_on(currency="EUR", on_date=date(2027, 1, 1)) is None
    assert selectors.fx_rate_on(currency="USD", on_date=date(2027, 1, 1)) == 1
    assert AuditEvent.objects.get(action="fx_rates.imported").data["sha256"] == result.pricing_import.source_sha256


def test_fx_microsofts_sample_with_a_bare_year_takes_the_month_given(ga):
    sample = fixture_text("get-fx-rates.response.csv").split("=======")[0].encode()
    with pytest.raises(FxRatesInvalid) as caught:
        _fx(ga, sample)
    assert caught.value.data[0]["line"] == 2 and caught.value.data[0]["column"] == "Month"
    _fx(ga, sample, month="2019-09")
    assert ExchangeRate.objects.get().usd_per_unit == Decimal("0.27224589249009701")
    assert ExchangeRate.objects.get().month == date(2019, 9, 1)


def test_fx_same_rate_again_is_unchanged_a_different_one_is_refused(ga):
    _fx(ga, fx([["EUR", "1.08", "202612"]]))
    assert _fx(ga, fx([["EUR", "1.080", "202612"]])).unchanged
    with pytest.raises(FxRateAlreadySet) as caught:
        _fx(ga, fx([["GBP", "1.27", "202612"], ["EUR", "1.09", "202612"]]))
    assert caught.value.status == 409 and caught.value.data[0]["line"] == 3
    assert list(ExchangeRate.objects.values_list("currency", "usd_per_unit")) == [("EUR", Decimal("1.08"))]


def test_fx_bad_lines(ga):
    with pytest.raises(FxRatesInvalid) as caught:
        _fx(ga, fx([["EUR", "abc", "202612"], ["XYZ", "1", "202612"], ["GBP", "-1", "202612"],
                    ["CAD", "0.7", "209901"], ["JPY", "0.0066", "202613"], ["CHF", "1.1", "202612"],
                    ["CHF", "1.1", "202612"]]))
    assert [(d["line"], d["column"]) for d in caught.value.data] == [
        (2, "USDPerUnit"), (3, "CurrencyCode"), (4, "USDPerUnit"), (5, "Month"), (6, "Month"), (8, "CurrencyCode")]
    assert ExchangeRate.objects.count() == 0 and PricingImport.objects.count() == 0


def test_fx_needs_a_global_admin(make_user, actor_of):
    with pytest.raises(PermissionDenied):
        _fx(actor_of(make_user(Role.ADMIN_AGENT)), fx([["EUR", "1.08", "202612"]]))


def test_open_end_constant_is_microsofts():
    assert OPEN_END == "11/30/9999 11:59:59 PM"
