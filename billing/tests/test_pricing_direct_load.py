"""The direct load of a price sheet (COPY straight into the list's partition table) against the careful path (staged,
checked line by line): the same file gives the same rows or the same report either way, and any file the direct load
cannot take exactly as the checks would falls back to them (docs/billing.md, "How an import runs")."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from billing.errors import PriceSheetInvalid
from billing.models import PriceSheetRow
from billing.pricing import services

from .sheets import HEADER, MAX_TIER, csv_text, row, storage_tiers

pytestmark = [pytest.mark.django_db]
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
TODAY = "today's date at midnight, as the database sees it"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ga(make_user, actor_of):
    return actor_of(make_user(Role.GLOBAL_ADMIN))


def _rows(price_list_id):
    """Every column of the list's rows; the id as the line it stands for (ids differ between lists)."""
    rows = PriceSheetRow.objects.filter(price_list_id=price_list_id).order_by("id").values()
    return [{**{k: v for k, v in r.items() if k not in ("id", "price_list_id")}, "line": r["id"] - (price_list_id << 32)}
            for r in rows]


def _outcome(actor, content, *, month, careful):
    """("imported", rows) or ("refused", the report's bad lines), and whether the careful path staged the file."""
    with CaptureQueriesContext(connection) as queries:
        try:
            result = services.price_sheet_import(actor=actor, file=content, market="US", view="azure_consumption",
                                                 month=month, careful=careful)
            outcome = ("imported", _rows(result.pricing_import.price_list_id), result.report["rowCount"])
        except PriceSheetInvalid as exc:
            outcome = ("refused", exc.data, None)
    staged = any("sheet_stage" in query["sql"] for query in queries.captured_queries)
    return outcome, staged


def _same_either_way(actor, content):
    """Import `content` directly (November) and through the checks (December): the same outcome. Returns it and
    whether the direct import fell back to the checks."""
    direct, fell_back = _outcome(actor, content, month="2026-11", careful=False)
    careful, staged = _outcome(actor, content, month="2026-12", careful=True)
    assert staged
    assert direct == careful
    return direct, fell_back


def _today():
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'FMMM/FMDD/YYYY') || ' 12:00:00 AM'")
        return cursor.fetchone()[0]


GOOD = {
    "microsoft's form": [row(), *storage_tiers()],
    "other date forms and numbers": [
        row(start="2026-12-01T00:00:00Z", price="1.5E-3"),
        row(sku_id="0002", start="12/1/2026", end="2027-01-31", price="0.12345678901234567891"),
        row(sku_id="0003", start="12/1/2026 12:00 AM", end="1/31/2027 23:59:59", price="+7"),
        row(sku_id="0004", start="2026-12-01", price=" 0.5 "),
        *storage_tiers(prices=("0", ".5", "5."), sku_id="0005"),
        *[row(product_id="DZH318Z0BNVX", sku_id="0006", tier_min=low, tier_max=high, price="0.1")
          for low, high in (("1", "100"), ("101", "100000"), ("100001", ""))],
    ],
    "text as it is": [
        row(product_title='Storage "Hot", LRS\nUS West', sku_title="", tags="", description="  spaced  "),
        row(sku_id="0002", product_title="Café – über ✓", unit="10,000 Transactions"),
    ],
}


@pytest.mark.parametrize("name", GOOD)
@pytest.mark.parametrize("options", [{}, {"quoted": False, "bom": True}, {"newline": "\n"}])
def test_a_good_file_is_copied_straight_in_with_the_rows_the_checks_write(ga, name, options):
    (kind, rows, count), fell_back = _same_either_way(ga, csv_text(GOOD[name], **options).encode())
    assert kind == "imported" and count == len(GOOD[name]) and len(rows) == count
    assert not fell_back
    assert [r["line"] for r in rows] == list(range(2, count + 2))  # ids follow the lines (a quoted newline is one line)


def test_columns_in_another_order_are_copied_by_name(ga):
    order = list(reversed(range(len(HEADER))))
    content = csv_text([[r[i] for i in order] for r in [row(), *storage_tiers()]], header=[HEADER[i] for i in order])
    (kind, rows, _count), fell_back = _same_either_way(ga, content.encode())
    assert kind == "imported" and not fell_back
    assert rows[-1]["tier_max"] == int(MAX_TIER)


BAD = {
    "duplicate key": [row(), row(price="0.5")],
    "tier gap": storage_tiers()[:1] + [row(product_id="DZH318Z0BNVX", sku_id="0016", tier_min="60000",
                                           tier_max="", meter="x")],
    "tier overlap": [*storage_tiers()[:2], row(product_id="DZH318Z0BNVX", sku_id="0016", tier_min="500000")],
    "empty maximum below the top": [row(product_id="P", tier_min="0", tier_max=""),
                                    row(product_id="P", tier_min="10", tier_max="")],
    "maximum below minimum": [row(tier_min="10", tier_max="5")],
    "negative tier": [row(tier_min="-1", tier_max="5")],
    "negative price": [row(price="-0.1")],
    "NaN price": [row(price="NaN")],
    "infinite tier": [row(tier_min="0", tier_max="Infinity")],
    "end before start": [row(start="12/10/2026 12:00:00 AM", end="12/1/2026 12:00:00 AM")],
    "a word for a date": [row(start="yesterday")],
    "epoch": [row(start="epoch")],
    "infinite date": [row(end="infinity")],
    "another market": [row(market="FR")],
    "unknown currency": [row(currency="XXX")],
    "empty product": [row(product_id="")],
    "empty price": [row(price="")],
    "text price": [row(price="abc")],
    "id too long": [row(sku_id="X" * 65)],
}


@pytest.mark.parametrize("name", BAD)
def test_a_file_the_direct_load_refuses_gets_the_checks_report(ga, name):
    (kind, problems, _count), fell_back = _same_either_way(ga, csv_text(BAD[name]).encode())
    assert kind == "refused" and problems and fell_back


ACCEPTED_BY_THE_CHECKS_ONLY = {
    "spaces around IDs": [row(product_id=" DZH318Z0BQ4X ", sku_id="003C "), row(sku_id="X", meter=" m ")],
    "market and currency in lower case": [row(market="us", currency="usd")],
    "a fraction of a second": [row(start="2026-12-01T00:00:00.5Z")],
    "a start today and the word in a title": [row(start=TODAY), row(sku_id="X", product_title="Pay as you go TODAY")],
}


@pytest.mark.parametrize("name", ACCEPTED_BY_THE_CHECKS_ONLY)
def test_a_file_the_checks_read_otherwise_is_written_as_they_read_it(ga, name):
    rows = [[_today() if value == TODAY else value for value in r] for r in ACCEPTED_BY_THE_CHECKS_ONLY[name]]
    (kind, written, _count), fell_back = _same_either_way(ga, csv_text(rows).encode())
    assert kind == "imported" and written and fell_back


def test_a_changed_file_through_the_direct_load_replaces_the_partition(ga):
    first = services.price_sheet_import(actor=ga, file=csv_text([row(), *storage_tiers()]).encode(), market="US",
                                        view="azure_consumption", month="2026-12")
    with CaptureQueriesContext(connection) as queries:
        second = services.price_sheet_import(actor=ga, file=csv_text([row(price="0.2"), *storage_tiers()]).encode(),
                                             market="US", view="azure_consumption", month="2026-12")
    assert not any("sheet_stage" in query["sql"] for query in queries.captured_queries)
    assert second.rows_written == 1 and second.pricing_import.price_list_id == first.pricing_import.price_list_id
    rows = _rows(second.pricing_import.price_list_id)
    assert [str(r["unit_price"]) for r in rows] == ["0.200000000000000000", *[str(r["unit_price"]) for r in rows[1:]]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'billing_pricesheetrow_p%%_load'")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("careful", [False, True])
def test_a_first_import_hashes_the_file_as_it_loads_it(ga, careful):
    import hashlib

    content = csv_text([row(), *storage_tiers()], bom=True).encode()
    first = services.price_sheet_import(actor=ga, file=content, market="US", view="azure_consumption",
                                        month="2026-12", careful=careful)
    assert first.report["sha256"] == hashlib.sha256(content).hexdigest()
    assert first.pricing_import.price_list.source_sha256 == first.report["sha256"]
    again = services.price_sheet_import(actor=ga, file=content, market="US", view="azure_consumption",
                                        month="2026-12")
    assert again.unchanged and again.report["sha256"] == first.report["sha256"]


@pytest.mark.parametrize("days", [0, -1, 1])
def test_a_date_around_today_written_out_is_copied_straight_in(ga, days):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_char((now() AT TIME ZONE 'UTC') + make_interval(days => %s), 'FMMM/FMDD/YYYY')",
                       [days])
        day = cursor.fetchone()[0]
    rows = [row(start=f"{day} 12:00:00 AM"), row(sku_id="X", start="11/1/2026 12:00:00 AM", end=f"{day} 12:00:00 AM"),
            row(sku_id="Y", product_title="Today's rates")]  # the word in a title: the file is checked
    (kind, written, _count), fell_back = _same_either_way(ga, csv_text(rows).encode())
    assert kind == "imported" and len(written) == 3
    assert fell_back  # "Today" in a title: the file is checked, to the same rows
    (kind, written, _count), fell_back = _same_either_way(ga, csv_text(rows[:2]).encode())
    assert kind == "imported" and not fell_back


def test_mentions_finds_a_word_in_any_case_across_chunks():
    import io

    from billing.pricing import loader

    padding = b"x" * (loader.CHUNK - 3)
    assert loader.mentions(io.BytesIO(padding + b"ToDaY"), (b"today",))
    assert loader.mentions(io.BytesIO(b"a,YESTERDAY,b"), (b"today", b"yesterday"))
    assert not loader.mentions(io.BytesIO(padding + b"tod" + b"x" * 10 + b"ay"), (b"today",))
