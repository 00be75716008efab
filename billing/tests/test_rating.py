"""Rating (billing.rating.services.rate_usage): Microsoft's worked examples exactly, exclusions, FX, repeatability."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import Country
from accounts.tests.factories import OrganisationFactory
from azureplan.models import RoleAssignment
from billing.errors import ExchangeRateMissing
from billing.models import PecDay, UsageRecord
from billing.rating import selectors
from billing.rating.services import rate_usage

from .factories_rating import add_usage, fx_rate, meter, price_list, usage, usage_rows, world

pytestmark = pytest.mark.django_db

AUG = date(2026, 8, 1)
D = Decimal


def _rows(**filters):
    return list(UsageRecord.objects.filter(**filters).order_by("usage_date", "id"))


def _versions():
    """Each usage row's physical version (ctid) and rated_at: a row written again gets a new ctid."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, ctid::text, rated_at FROM billing_usagerecord ORDER BY id")
        return cursor.fetchall()


def test_microsofts_worked_example_comes_out_exactly():
    """domain.md §3.6.6: UP 0.868, PEC applied, cumulative 29, 210.950039, 555.950039 -> 21.39, 155.63, 410.17."""
    w = world()
    meter(price_list(), price="0.868")
    usage_rows([usage(w.sub, date(2026, 8, 3), "29"), usage(w.sub, date(2026, 8, 10), "181.950039"),
                usage(w.sub, date(2026, 8, 25), "345")])
    result = rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert result["rows_rated"] == 3
    rows = _rows()
    cumulative, running = [], D(0)
    for row in rows:
        running += row.pricing_pre_tax_total
        cumulative.append(running)
    assert cumulative == [D("21.39"), D("155.63"), D("410.17")]
    assert [r.pricing_pre_tax_total for r in rows] == [D("21.39"), D("134.24"), D("254.54")]
    assert rows[0].effective_unit_price == D("0.737586206896551724")  # 21.39 / 29
    assert rows[1].effective_unit_price == (D("155.63") / D("210.950039")).quantize(D("1e-18"))
    assert rows[2].effective_unit_price == (D("410.17") / D("555.950039")).quantize(D("1e-18"))
    for row in rows:
        assert row.unit_price == D("0.868")
        assert row.pec_percentage == 15
        assert row.pricing_currency == "USD" and row.billing_currency == "USD"
        assert row.billing_pre_tax_total == row.pricing_pre_tax_total
        assert row.exchange_rate == 1 and row.exchange_rate_date == AUG
        assert row.rated_at is not None and row.not_rated_reason == ""


def test_a_line_without_pec_is_never_charged_above_its_list_cost_beside_one_with_pec():
    """The cents are floored per future invoice line (plan, meter, charge type, PEC rate), not across the meter: a row
    without PEC after one with PEC no longer carries the PEC row's rounded-off fraction (0.87 for 0.868 before)."""
    w = world(subscriptions=2)
    w.subs[1].role_assignments.all().delete()  # the partner never managed the second subscription: no PEC
    meter(price_list(), price="0.868")
    usage_rows([usage(w.subs[0], date(2026, 8, day), "1", resource_uri="/r/pec") for day in (1, 2)]
               + [usage(w.subs[1], date(2026, 8, day), "1", resource_uri="/r/list") for day in (1, 2)])
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    with_pec = _rows(azure_subscription_id=w.subs[0].pk)
    without = _rows(azure_subscription_id=w.subs[1].pk)
    assert [r.pec_percentage for r in with_pec] == [15, 15] and [r.pec_percentage for r in without] == [0, 0]
    assert [r.pricing_pre_tax_total for r in with_pec] == [D("0.73"), D("0.74")]  # 0.7378, then 1.4756 -> 1.47
    assert [r.pricing_pre_tax_total for r in without] == [D("0.86"), D("0.87")]  # 0.868, then 1.736 -> 1.73
    assert without[0].effective_unit_price == D("0.86") and without[1].effective_unit_price == D("0.865")
    for rows, share in ((with_pec, D("0.85")), (without, D(1))):
        line = sum(r.pricing_pre_tax_total for r in rows)
        assert line == (D("0.868") * 2 * share).quantize(D("0.01"), rounding="ROUND_DOWN")
        assert all(r.effective_unit_price <= r.unit_price * share for r in rows)


def test_the_migration_marks_only_open_months_groups_with_two_lines_to_rate_again():
    """Migration 0011: rows rated per meter before the rounding moved to the invoice line are rated again where a
    (plan, meter) month has more than one line, unless that month is invoiced (closed)."""
    import importlib

    from billing.models import ClosedUsageMonth

    rerate = importlib.import_module("billing.migrations.0011_rerate_lines_with_and_without_pec").RERATE_SQL
    plist = price_list()
    meter(plist, price="0.868")
    storage = meter(plist, product_id="DZH318Z0BNVX", sku_id="0016", meter_id="3a6a1b7c", price="0.05")
    mixed = world(subscriptions=2)
    mixed.subs[1].role_assignments.all().delete()  # no PEC on the second subscription: two lines of one meter
    closed = world(subscriptions=2)
    closed.subs[1].role_assignments.all().delete()
    rows = []
    for w in (mixed, closed):
        rows += [usage(w.subs[i], date(2026, 8, 3), "1", resource_uri=f"/r/{i}") for i in (0, 1)]
    rows.append(usage(mixed.subs[0], date(2026, 8, 3), "10", m=storage, resource_uri="/r/disk"))  # one line only
    usage_rows(rows)
    for w in (mixed, closed):
        rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    ClosedUsageMonth.objects.create(organisation_id=closed.organisation.pk, month=AUG, closed_at=datetime.now(UTC))
    assert not UsageRecord.objects.filter(rated_at__isnull=True).exists()
    with connection.cursor() as cursor:
        cursor.execute(rerate)
    vm = UsageRecord.objects.filter(resource_uri="/r/0").values_list("meter_id", flat=True).first()
    again = list(UsageRecord.objects.filter(rated_at__isnull=True).values_list("organisation_id", "meter_id"))
    assert sorted(again) == [(mixed.organisation.pk, vm)] * 2  # the open month's two lines; not storage, not closed
    rate_usage(organisation_id=mixed.organisation.pk, months=[AUG])
    assert not UsageRecord.objects.filter(rated_at__isnull=True).exists()


def test_tiers_apply_to_the_months_cumulative_quantity():
    """domain.md §3.3.5: tiers 1-100 @1.00, 101-100000 @0.80, 100001+ @0.50: 101 units cost 100.80 (no PEC here:
    the partner holds no role)."""
    w = world(aobo=False)
    meter(price_list(), tiers=[(1, 100, "1.00"), (101, 100000, "0.80"), (100001, "9223372036854780000", "0.50")])
    usage_rows([usage(w.sub, date(2026, 8, 1), "60"), usage(w.sub, date(2026, 8, 2), "41")])
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    first, second = _rows()
    assert first.pricing_pre_tax_total == D("60.00") and first.pec_percentage == 0
    assert second.pricing_pre_tax_total == D("40.80")  # 40 units @1.00 and 1 @0.80
    assert second.unit_price == D("40.80") / 41 or second.unit_price == (D("40.80") / 41).quantize(D("1e-18"))
    assert first.pricing_pre_tax_total + second.pricing_pre_tax_total == D("100.80")


def test_tiers_written_from_zero_and_a_split_across_subscriptions():
    """Microsoft also writes tiers 0-51200, 51200-512000: the bounds are the cumulative quantity either way, and the
    quantity of every subscription of the plan counts toward the same tiers."""
    w = world(subscriptions=2, aobo=False)
    storage = meter(price_list(), product_id="DZH318Z0BNVX", sku_id="0016", meter_id="3a6a1b7c",
                    tiers=[(0, 51200, "0.0184"), (51200, 512000, "0.0177"), (512000, "9223372036854780000", "0.0170")])
    usage_rows([usage(w.subs[0], date(2026, 8, 1), "50000", m=storage),
                usage(w.subs[1], date(2026, 8, 1), "2000", m=storage)])
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    total = sum(r.pricing_pre_tax_total for r in _rows())
    exact = D("51200") * D("0.0184") + D("800") * D("0.0177")
    assert total == exact.quantize(D("0.01"), rounding="ROUND_DOWN")


def test_billing_currency_through_the_usage_months_rate():
    """EUR partner: USDPerUnit 1.1 (one EUR is 1.1 USD): billing = ROUNDDOWN(ROUNDDOWN(USD, 2) / 1.1, 2) on the
    month to date; the rows add up to the meter's monthly total."""
    w = world(country="FR")
    meter(price_list(market="FR"), price="0.868")
    fx_rate("EUR", AUG, "1.1")
    fx_rate("EUR", date(2026, 7, 1), "2")  # another month's rate is never used
    usage_rows([usage(w.sub, date(2026, 8, 3), "29"), usage(w.sub, date(2026, 8, 10), "181.950039")])
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    first, second = _rows()
    assert first.billing_currency == "EUR" and first.pricing_currency == "USD"
    assert first.billing_pre_tax_total == D("19.44")  # 21.39 / 1.1 = 19.4454...
    assert first.billing_pre_tax_total + second.billing_pre_tax_total == D("141.48")  # 155.63 / 1.1 = 141.4818...
    assert first.exchange_rate == D("0.909090909090909090909090909091")  # PCToBCExchangeRate, 30 places
    assert first.exchange_rate_date == AUG


def test_a_missing_exchange_rate_names_currency_and_month_and_rates_nothing():
    w = world(country="FR")
    meter(price_list(market="FR"))
    add_usage(w.sub, date(2026, 8, 3), "29")
    before = _versions()
    with pytest.raises(ExchangeRateMissing) as caught:
        rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert (caught.value.status, caught.value.code) == (409, 990310)
    assert "EUR" in str(caught.value) and "2026-08" in str(caught.value)
    assert caught.value.parameters == {"currency": "EUR", "month": "2026-08"}
    assert _versions() == before
    assert not PecDay.objects.exists()  # the PEC days of that call were rolled back with it


def test_rating_again_writes_nothing():
    w = world(subscriptions=2)
    meter(price_list())
    usage_rows([usage(s, date(2026, 8, d), "10") for s in w.subs for d in (1, 2, 3)])
    first = rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert first["rows_rated"] == 6
    before = _versions()
    pec_before = list(PecDay.objects.values_list("id", "decided_at"))
    again = rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert again["rows_rated"] == 0 and again["months"][0]["pec_days_written"] == 0
    assert again["months"][0]["groups"] == 0
    assert _versions() == before
    assert list(PecDay.objects.values_list("id", "decided_at")) == pec_before
    assert rate_usage(organisation_id=w.organisation.pk)["months"] == []  # no month has an unrated row


def test_a_late_row_rerates_only_its_meter():
    w = world()
    plist = price_list()
    vm = meter(plist)
    other = meter(plist, product_id="DZH318Z0BNVX", sku_id="0016", meter_id="3a6a1b7c", price="0.02")
    usage_rows([usage(w.sub, date(2026, 8, d), "10", m=m) for d in (1, 5, 9) for m in (vm, other)])
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    before = {row[0]: row for row in _versions()}
    late = add_usage(w.sub, date(2026, 8, 3), "7", m=vm)
    result = rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert result["months"][0]["groups"] == 1
    after = {row[0]: row for row in _versions()}
    for row in UsageRecord.objects.exclude(pk=late.pk):
        if row.meter_id == other.meter_id or row.usage_date < date(2026, 8, 3):
            assert after[row.pk] == before[row.pk], "a row of another meter (or before the late row) was written"
    assert after[late.pk][2] is not None
    total = sum(r.pricing_pre_tax_total for r in _rows(meter_id=vm.meter_id))
    assert total == (D(37) * D("0.868") * D("0.85")).quantize(D("0.01"), rounding="ROUND_DOWN")


@pytest.mark.parametrize("fields, tags", [
    ({}, "Azure,ThirdParty"),
    ({"meter_name": "D2 v5 Spot", "sku_name": "D2 v5 Spot"}, "Azure,Consumption"),
    ({"benefit_type": "SavingsPlan", "benefit_id": "28ddab06-2c5b-479e-88bb-7b7bfda4e7fd"}, "Azure,Consumption"),
    ({"publisher_name": "Contoso Networks, Inc."}, "Azure,Consumption"),
    # Named only by their words, in any case (the tests compare ASCII case-insensitively):
    ({"meter_subcategory": "Virtual Machines SPOT"}, "Azure,Consumption"),
    ({"benefit_type": "SAVINGSPLAN"}, "Azure,Consumption"),
    ({"charge_type": "ReservationUsage"}, "Azure,Consumption"),
], ids=["third_party", "spot", "savings_plan", "marketplace", "spot_upper", "savings_type_only", "reservation_charge"])
def test_excluded_products_never_earn_pec(fields, tags):
    w = world()
    meter(price_list(), price="1", tags=tags)
    add_usage(w.sub, date(2026, 8, 3), "10", **fields)
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    (row,) = _rows()
    assert PecDay.objects.get(azure_subscription=w.sub, day=date(2026, 8, 3), resource_group="").eligible
    assert row.pec_percentage == 0 and row.pricing_pre_tax_total == D("10.00")


def test_legacy_rows_are_not_rated_at_all():
    w = world()
    meter(price_list(), price="1")
    legacy = add_usage(w.sub, date(2026, 8, 2), "10", not_rated_reason="legacy")
    rated = add_usage(w.sub, date(2026, 8, 3), "10")
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    legacy.refresh_from_db()
    rated.refresh_from_db()
    assert legacy.rated_at is None and legacy.pricing_pre_tax_total is None and legacy.not_rated_reason == "legacy"
    assert rated.pricing_pre_tax_total == D("8.50")  # the legacy row's quantity does not count toward the month


def test_a_meter_without_price_stays_unrated_with_its_reason():
    w = world()
    meter(price_list(), price="1")
    unknown = type("M", (), {"product_id": "NOPE", "sku_id": "0001", "meter_id": "m-x", "name": "x"})
    add_usage(w.sub, date(2026, 8, 3), "10", m=unknown)
    add_usage(w.sub, date(2026, 8, 3), "10")
    result = rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert result["rows_rated"] == 1 and result["rows_unpriced"] == 1
    listed = selectors.unrated_usage(organisation_id=w.organisation.pk, month=AUG)
    assert [(r["product_id"], r["meter_id"], r["reason"], r["rows"]) for r in listed] == [
        (unknown.product_id, "m-x", "no_price", 1)]
    before = _versions()
    assert rate_usage(organisation_id=w.organisation.pk, months=[AUG])["rows_rated"] == 0
    assert _versions() == before
    # Once the price list has it, the next rating prices it.
    meter(price_list(), product_id="NOPE", sku_id="0001", meter_id="m-x", price="2")
    assert rate_usage(organisation_id=w.organisation.pk, months=[AUG])["rows_rated"] == 1
    assert selectors.unrated_usage(organisation_id=w.organisation.pk, month=AUG) == []


def test_a_price_change_mid_month_prices_each_day_at_its_rate():
    w = world(aobo=False)
    plist = price_list()
    meter(plist, price="1", end=datetime(2026, 8, 15, 23, 59, 59, tzinfo=UTC))
    meter(plist, price="2", start=datetime(2026, 8, 16, tzinfo=UTC))
    usage_rows([usage(w.sub, date(2026, 8, 15), "10"), usage(w.sub, date(2026, 8, 16), "10")])
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert [r.pricing_pre_tax_total for r in _rows()] == [D("10.00"), D("20.00")]


def test_the_partners_market_list_is_used_and_the_us_list_when_it_has_none():
    gb = OrganisationFactory(country=Country.objects.get(code="GB"))
    w = world(organisation=gb, aobo=False)
    meter(price_list(market="US"), price="1")
    meter(price_list(market="FR"), price="5")
    fx_rate("GBP", AUG, "1.25")
    add_usage(w.sub, date(2026, 8, 3), "10")
    rate_usage(organisation_id=gb.pk, months=[AUG])
    (row,) = _rows()
    assert row.pricing_pre_tax_total == D("10.00") and row.billing_pre_tax_total == D("8.00")


def test_role_removed_mid_day_gives_no_pec_that_day():
    w = world()
    RoleAssignment.objects.filter(azure_subscription=w.sub).update(removed_at=datetime(2026, 8, 10, 13, 0, tzinfo=UTC))
    meter(price_list(), price="1")
    usage_rows([usage(w.sub, date(2026, 8, d), "10") for d in (9, 10, 11)])
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert [r.pec_percentage for r in _rows()] == [15, 0, 0]
    assert PecDay.objects.get(azure_subscription=w.sub, day=date(2026, 8, 10), resource_group="").reason == \
        "part_of_day"


def test_usage_changed_rates_inside_the_callers_transaction_and_the_task_rates_too():
    from billing.rating.tasks import rate_usage_task
    from billing.usage.hooks import usage_changed

    w = world()
    meter(price_list(), price="1")
    add_usage(w.sub, date(2026, 8, 3), "10")
    usage_changed(organisation_id=w.organisation.pk, months=[date(2026, 8, 3)])  # what ingestion calls
    assert _rows()[0].pricing_pre_tax_total == D("8.50")
    add_usage(w.sub, date(2026, 8, 4), "10")
    assert rate_usage_task.delay(w.organisation.pk, ["2026-08-01"]).get()["rows_rated"] == 1


def test_finding_what_is_left_to_rate_reads_the_partial_index_not_every_row():
    """Whether a month (or an organisation) has rows rating would still consider is answered by the partial index
    usagerecord_unrated (migration 0010), whose predicate is statements.UNRATED: if the two drift apart, the check
    reads every row of the month again."""
    from billing.rating import services

    w = world()
    meter(price_list(), price="1")
    add_usage(w.sub, date(2026, 8, 3), "10")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'billing_usagerecord_p202608' "
                       "AND indexdef LIKE '%%WHERE%%rated_at IS NULL%%'")
        (index,) = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT EXISTS (SELECT 1 FROM billing_usagerecord u WHERE u.organisation_id = %s "
                       f"AND u.usage_date >= %s AND u.usage_date < %s AND {services._UNRATED})",
                       [w.organisation.pk, AUG, date(2026, 9, 1)])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
    assert services._has_unrated(w.organisation.pk, AUG)
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert not services._has_unrated(w.organisation.pk, AUG)
