"""Each price list version's rows are one partition of billing_pricesheetrow: a first import writes them into their
own, a changed re-import replaces it, deleting the list (through the service or any other way) drops it, and a bad
file leaves none behind."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from accounts.choices import Role
from billing.errors import PriceSheetInvalid
from billing.models import PriceList, PriceSheetRow
from billing.pricing import selectors, services
from core.errors import PermissionDenied
from core.models import AuditEvent

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


def _import(actor, content, month="2026-12"):
    return services.price_sheet_import(actor=actor, file=content, market="US", view="azure_consumption", month=month,
                                       file_name="sheet.csv")


def _partitions():
    """{partition name: rows in it} of billing_pricesheetrow."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = 'billing_pricesheetrow'::regclass ORDER BY 1")
        names = [name for (name,) in cursor.fetchall()]
        found = {}
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {name}")
            found[name] = cursor.fetchone()[0]
    return found


def _tables_like_partitions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'billing\\_pricesheetrow\\_p%%' "
                       "AND relkind IN ('r', 'p') ORDER BY 1")
        return [name for (name,) in cursor.fetchall()]


def test_a_first_import_writes_its_rows_into_their_own_partition(ga):
    november = _import(ga, sheet([row(start=NOVEMBER), *storage_tiers(start=NOVEMBER)]), month="2026-11")
    december = _import(ga, sheet([row(price="0.1")]))
    nov, dec = (r.pricing_import.price_list for r in (november, december))
    assert _partitions() == {services.partition_name(nov.pk): 4, services.partition_name(dec.pk): 1}
    assert _tables_like_partitions() == sorted(_partitions())  # no load table left behind
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ONLY billing_pricesheetrow")
        assert cursor.fetchone()[0] == 0
    # Row ids: the list's id * 2^32 + the line in the file.
    assert sorted(nov.rows.values_list("id", flat=True)) == [(nov.pk << 32) + line for line in (2, 3, 4, 5)]
    assert list(PriceSheetRow.objects.filter(price_list=dec).values_list("unit_price", flat=True)) == [
        Decimal("0.1")]


def test_reads_by_list_and_a_meters_history_use_the_partitions_index(ga, make_user, actor_of):
    _import(ga, sheet([row(start=NOVEMBER), *storage_tiers(start=NOVEMBER)]), month="2026-11")
    _import(ga, sheet([row(price="0.1"), *storage_tiers()]))
    history = selectors.meter_history(actor=ga, market="US", view="azure_consumption",
                                      product_id="DZH318Z0BQ4X", sku_id="003C")
    assert [h["month"].month for h in history] == [11, 12]
    december = PriceList.objects.get(month__month=12)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT * FROM billing_pricesheetrow WHERE price_list_id = %s AND product_id = %s "
                       "AND sku_id = %s", [december.pk, "DZH318Z0BQ4X", "003C"])
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert services.partition_name(december.pk) in plan and "Index" in plan
    assert services.partition_name(december.pk - 1) not in plan  # the other month's partition is pruned


def test_a_changed_reimport_replaces_the_partition_and_leaves_no_old_row(ga):
    first = _import(ga, sheet())
    price_list = first.pricing_import.price_list
    again = _import(ga, sheet([row(price="0.2"), row(product_id="NEW", sku_id="0001")]))
    assert again.rows_written == 5  # one updated, one inserted, three deleted
    assert _partitions() == {services.partition_name(price_list.pk): 2}
    assert _tables_like_partitions() == [services.partition_name(price_list.pk)]
    assert sorted(PriceSheetRow.objects.values_list("product_id", "unit_price")) == [
        ("DZH318Z0BQ4X", Decimal("0.2")), ("NEW", Decimal("0.096"))]
    # The same rows again, written differently: nothing changes, the rows keep their ids.
    ids = sorted(PriceSheetRow.objects.values_list("id", flat=True))
    same = _import(ga, sheet([row(price="0.20"), row(product_id="NEW", sku_id="0001")], quoted=False))
    assert same.unchanged and same.rows_written == 0
    assert sorted(PriceSheetRow.objects.values_list("id", flat=True)) == ids
    assert _tables_like_partitions() == [services.partition_name(price_list.pk)]


def test_deleting_a_list_drops_its_partition_and_nothing_else(ga):
    _import(ga, sheet([row(start=NOVEMBER), *storage_tiers(start=NOVEMBER)]), month="2026-11")
    december = _import(ga, sheet()).pricing_import.price_list
    november = PriceList.objects.get(month__month=11)
    services.price_list_delete(actor=ga, price_list=december)
    assert not PriceList.objects.filter(pk=december.pk).exists()
    assert _partitions() == {services.partition_name(november.pk): 4}
    assert not PriceSheetRow.objects.filter(price_list_id=december.pk).exists()
    assert AuditEvent.objects.filter(action="price_list.deleted").count() == 1
    # Any other way of deleting a list cascades the same way (a trigger on billing_pricelist).
    PriceList.objects.filter(pk=november.pk).delete()
    assert _partitions() == {} and PriceSheetRow.objects.count() == 0 and _tables_like_partitions() == []


def test_deleting_a_list_needs_the_import_permission(ga, make_user, actor_of):
    price_list = _import(ga, sheet()).pricing_import.price_list
    reader = actor_of(make_user(Role.BILLING_ADMIN))
    with pytest.raises(PermissionDenied):
        services.price_list_delete(actor=reader, price_list=price_list)
    assert _partitions() == {services.partition_name(price_list.pk): 4}


def test_a_bad_file_leaves_no_partition_nor_load_table(ga):
    with pytest.raises(PriceSheetInvalid):
        _import(ga, sheet([row(), row(price="-1", sku_id="X")]))
    assert _tables_like_partitions() == [] and PriceList.objects.count() == 0
    price_list = _import(ga, sheet()).pricing_import.price_list
    with pytest.raises(PriceSheetInvalid):
        _import(ga, sheet([row(), *storage_tiers(prices=("1", "2", "-3"))]))
    assert _tables_like_partitions() == [services.partition_name(price_list.pk)]
    assert PriceSheetRow.objects.count() == 4
