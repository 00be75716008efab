"""The fast paths of the price sheet import: a re-import answered from the file's SHA-256 before anything is staged, a
file read from a stream that cannot seek, the checks in one query (every problem of a line, in order), the report of a
re-import reused only while the previous month is the same."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from billing.errors import PriceSheetInvalid
from billing.models import PriceList, PriceSheetRow, PricingImport
from billing.pricing import services

from .sheets import row, sheet, storage_tiers

pytestmark = [pytest.mark.django_db]
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
NOVEMBER = "11/1/2026 12:00:00 AM"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ga(make_user, actor_of):
    return actor_of(make_user(Role.GLOBAL_ADMIN))


class _Pipe:
    """A stream that only reads, in small pieces (a request body, a pipe): it cannot seek."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def read(self, size=-1):
        return self._data.read(min(size, 7) if size and size > 0 else 7)


def _import(actor, content, month="2026-12"):
    return services.price_sheet_import(actor=actor, file=content, market="US", view="azure_consumption", month=month,
                                       file_name="sheet.csv")


def test_reimport_of_the_same_file_is_answered_before_anything_is_staged(ga):
    _import(ga, sheet())
    rows = list(PriceSheetRow.objects.order_by("id").values())
    with CaptureQueriesContext(connection) as queries:
        again = _import(ga, sheet())
    assert again.unchanged and again.rows_written == 0
    assert again.report["unchanged"] and again.report["rowCount"] == 4 and again.report["rowsWritten"] == 0
    assert "nothing was changed" in again.report["message"]
    statements = " ".join(q["sql"] for q in queries.captured_queries)
    assert "sheet_stage" not in statements and "sheet_typed" not in statements
    assert "billing_pricesheetrow" not in statements  # not read, not written
    assert list(PriceSheetRow.objects.order_by("id").values()) == rows
    assert PricingImport.objects.filter(unchanged=True).count() == 1


def test_a_stream_that_cannot_seek_is_hashed_then_imported(ga):
    first = _import(ga, _Pipe(sheet()))
    assert first.rows_written == 4 and not first.unchanged
    assert PriceList.objects.get().source_sha256 == first.report["sha256"]
    again = _import(ga, _Pipe(sheet()))
    assert again.unchanged and again.report["sha256"] == first.report["sha256"]
    assert PriceSheetRow.objects.count() == 4


def test_a_seekable_stream_is_read_from_where_it_stands(ga):
    stream = io.BytesIO(b"ignored prefix" + sheet())
    stream.seek(len(b"ignored prefix"))
    assert _import(ga, stream).rows_written == 4


def test_a_bad_file_with_the_sha_of_no_list_is_still_checked(ga):
    _import(ga, sheet())
    with pytest.raises(PriceSheetInvalid) as caught:
        _import(ga, sheet([row(price="abc")]))
    assert caught.value.data[0]["line"] == 2 and caught.value.data[0]["column"] == "UnitPrice"
    assert PriceSheetRow.objects.count() == 4


def test_every_problem_of_a_line_is_listed_in_rule_order(ga):
    bad = row(product_id="", price="-1", market="FR", currency="XXX", start="13/40/2026 12:00:00 AM")
    with pytest.raises(PriceSheetInvalid) as caught:
        _import(ga, sheet([row(), bad]))
    assert [(p["line"], p["column"]) for p in caught.value.data] == [
        (3, "Currency"), (3, "EffectiveStartDate"), (3, "Market"), (3, "ProductId"), (3, "UnitPrice")]
    reasons = {p["column"]: p["reason"] for p in caught.value.data}
    assert "“FR”" in reasons["Market"] and "“XXX”" in reasons["Currency"] and "-1" in reasons["UnitPrice"]
    assert "13/40/2026" in reasons["EffectiveStartDate"]
    assert PriceList.objects.count() == 0


def test_each_duplicate_names_the_first_line_of_its_key(ga):
    with pytest.raises(PriceSheetInvalid) as caught:
        _import(ga, sheet([row(), row(price="0.5"), row(price="0.6"), *storage_tiers()]))
    assert [(p["line"], p["reason"].split(":")[0]) for p in caught.value.data] == [
        (3, "Duplicate of line 2"), (4, "Duplicate of line 2")]


def test_reimport_report_is_reused_while_the_previous_month_is_the_same(ga):
    _import(ga, sheet([row(start=NOVEMBER), *storage_tiers(start=NOVEMBER)]), month="2026-11")
    first = _import(ga, sheet([row(price="0.12"), *storage_tiers()]))
    assert (first.report["added"], first.report["removed"], first.report["changed"]) == (0, 0, 1)
    again = _import(ga, sheet([row(price="0.12"), *storage_tiers()]))
    assert again.unchanged
    for key in ("previousMonth", "added", "removed", "changed", "addedMeters", "removedMeters", "changedMeters"):
        assert again.report[key] == first.report[key]
    # November changes: the same December file is compared with the new November.
    with time_machine.travel(datetime(2026, 12, 6, 11, 0, tzinfo=UTC), tick=False):
        _import(ga, sheet([row(price="0.12", start=NOVEMBER), *storage_tiers(start=NOVEMBER)]), month="2026-11")
        later = _import(ga, sheet([row(price="0.12"), *storage_tiers()]))
    assert later.unchanged
    assert (later.report["added"], later.report["removed"], later.report["changed"]) == (0, 0, 0)


def test_a_new_version_with_a_previous_month_writes_and_reports_in_one_go(ga):
    _import(ga, sheet([row(start=NOVEMBER), *storage_tiers(start=NOVEMBER)]), month="2026-11")
    _import(ga, sheet([row(price="0.2")]))
    result = _import(ga, sheet([row(price="0.3"), *storage_tiers()]))
    assert result.rows_written == 4  # one updated, three inserted
    assert (result.report["added"], result.report["removed"], result.report["changed"]) == (0, 0, 1)
    assert result.report["changedMeters"][0]["newPrice"] == "0.3"
    assert PriceSheetRow.objects.filter(price_list__month__month=12).get(tier_min=None).unit_price == Decimal("0.3")
