"""Property tests of rating (hypothesis): splitting a month's quantity never changes the monthly total, and every amount
is within the documented rounding of its exact value (docs/billing.md "Rating", "Rounding")."""

from datetime import date
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import UsageRecord
from billing.rating.services import rate_usage

from .factories_rating import fx_rate, meter, price_list, usage, usage_rows, world

pytestmark = pytest.mark.django_db

AUG = date(2026, 8, 1)
CENT = Decimal("0.01")
TIERS = [(1, 100, "0.868"), (101, 1000, "0.7123"), (1001, "9223372036854780000", "0.5")]
USD_PER_EUR = Decimal("1.0837")


def tier_cost(quantity: Decimal) -> Decimal:
    """The exact list cost of a month's cumulative quantity on TIERS (each tier's bounds are cumulative)."""
    cost, low = Decimal(0), Decimal(0)
    for _lo, hi, price in TIERS:
        high = Decimal(str(hi))
        cost += Decimal(price) * max(Decimal(0), min(quantity, high) - low)
        low = high
    return cost


def floor2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_DOWN)


@pytest.fixture
def setup():
    w = world(country="FR", subscriptions=3)
    meter(price_list(market="FR"), tiers=TIERS)
    fx_rate("EUR", AUG, USD_PER_EUR)
    return w


quantities = st.decimals(min_value=0, max_value=700, places=6, allow_nan=False, allow_infinity=False)
pieces = st.lists(st.tuples(st.integers(1, 31), st.integers(0, 2), quantities), min_size=1, max_size=25)


def _rate(w, parts):
    """Insert the parts (day, subscription index, quantity), rate, answer the rows in rating order; rolled back."""
    rows = [usage(w.subs[s], date(2026, 8, day), q, resource_uri=f"/r/{i}") for i, (day, s, q) in enumerate(parts)]
    usage_rows(rows)
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    return list(UsageRecord.objects.order_by("usage_date", "azure_subscription_id", "resource_uri", "id"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=pieces)
def test_any_split_of_the_months_quantity_gives_the_same_monthly_total(setup, parts):
    total_quantity = sum(q for _d, _s, q in parts)
    with transaction.atomic():
        rows = _rate(setup, parts)
        split_usd = sum(r.pricing_pre_tax_total for r in rows)
        split_eur = sum(r.billing_pre_tax_total for r in rows)
        transaction.set_rollback(True)
    with transaction.atomic():
        (whole,) = _rate(setup, [(15, 0, total_quantity)])
        transaction.set_rollback(True)
    # Every subscription has PEC, so the exact monthly cost does not depend on the split: the totals are equal.
    assert split_usd == whole.pricing_pre_tax_total == floor2(tier_cost(total_quantity) * Decimal("0.85"))
    assert split_eur == whole.billing_pre_tax_total == floor2(whole.pricing_pre_tax_total / USD_PER_EUR)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=pieces, without_pec=st.sets(st.integers(0, 2), max_size=3))
def test_amounts_are_within_the_documented_rounding(setup, parts, without_pec):
    with transaction.atomic():
        for i in without_pec:  # these subscriptions lose PEC: the partner's Owner never held
            setup.subs[i].role_assignments.all().delete()
        rows = _rate(setup, parts)
        transaction.set_rollback(True)
    # The tiers count the meter's whole month; the cents are floored per invoice line (the plan's meter and PEC rate).
    cumulative_qty = Decimal(0)
    line_qty, exact_cum, booked_usd, booked_eur = ({0: Decimal(0), 15: Decimal(0)} for _ in range(4))
    for row in rows:
        share = 1 - row.pec_percentage / 100
        pec = int(row.pec_percentage)
        assert pec == (0 if rows and _index(setup, row) in without_pec else 15)
        exact = (tier_cost(cumulative_qty + row.quantity) - tier_cost(cumulative_qty)) * share
        cumulative_qty += row.quantity
        line_qty[pec] += row.quantity
        exact_cum[pec] += exact
        booked_usd[pec] += row.pricing_pre_tax_total
        booked_eur[pec] += row.billing_pre_tax_total
        # A line's month to date is Microsoft's BC = ROUNDDOWN(exact, 2), never above its exact cost; each row is
        # within a cent of its own.
        assert booked_usd[pec] == floor2(exact_cum[pec]) <= exact_cum[pec]
        assert abs(row.pricing_pre_tax_total - exact) < CENT
        assert booked_eur[pec] == floor2(booked_usd[pec] / USD_PER_EUR)
        assert abs(row.billing_pre_tax_total - exact / USD_PER_EUR) < CENT + CENT / USD_PER_EUR
        if line_qty[pec]:
            # Stored with 18 decimals (PostgreSQL rounds half away from zero, after its own division scale).
            assert abs(row.effective_unit_price - booked_usd[pec] / line_qty[pec]) <= Decimal("1e-18")
            # so the line's effective price times its quantity never exceeds its list cost
            assert row.effective_unit_price * line_qty[pec] <= exact_cum[pec] + Decimal("1e-13")


def _index(setup, row):
    return next(i for i, s in enumerate(setup.subs) if s.pk == row.azure_subscription_id)
