"""core.money: examples from Partner Center's documented numbers, and properties (hypothesis).

No database: these are pure functions and values.
"""

import decimal
import pickle
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.money import (
    CURRENCIES,
    CurrencyMismatch,
    Money,
    MoneyError,
    Rounding,
    UnknownCurrency,
    allocate,
    convert,
    convert_by_usd_per_unit,
    from_usd,
    license_subtotal,
    minor_units,
    rate_from_usd_per_unit,
    round_amount,
    round_down,
    round_half_even,
    to_usd,
    total,
    usage_subtotal,
)

# The partner billing currencies of Partner Center's regional markets (domain reference §2.1).
PARTNER_CENTER_BILLING_CURRENCIES = {
    "USD": 2, "EUR": 2, "GBP": 2, "DKK": 2, "NOK": 2, "SEK": 2, "CHF": 2, "AUD": 2, "CAD": 2,
    "NZD": 2, "BRL": 2, "CNY": 2, "INR": 2, "TWD": 2, "JPY": 0, "KRW": 0,
}


def exact(operation, *operands):
    """An exact (or 200-digit, truncated) result, independent of the module's context."""
    with decimal.localcontext(prec=200, rounding=decimal.ROUND_DOWN):
        return operation(*operands)


# Currency table ------------------------------------------------------------------------------


def test_every_partner_center_billing_currency_has_its_minor_units():
    for code, places in PARTNER_CENTER_BILLING_CURRENCIES.items():
        assert minor_units(code) == places, code


@pytest.mark.parametrize("code, places", [("ZAR", 2), ("BHD", 3), ("KWD", 3), ("OMR", 3), ("TND", 3), ("JOD", 3),
                                          ("CLP", 0), ("VND", 0), ("ISK", 0), ("XOF", 0), ("CLF", 4), ("AED", 2)])
def test_minor_units_beyond_the_billing_currencies(code, places):
    assert minor_units(code) == places


@pytest.mark.parametrize("code", ["usd", "XXX", "XAU", "EURO", "", None, 840])
def test_unknown_currency_codes_are_refused(code):
    with pytest.raises(UnknownCurrency):
        minor_units(code)
    with pytest.raises(UnknownCurrency):
        Money("1", code)


def test_the_table_holds_only_iso_shaped_codes_with_sane_minor_units():
    assert len(CURRENCIES) > 150
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in CURRENCIES)
    assert set(CURRENCIES.values()) == {0, 2, 3, 4}
    with pytest.raises(TypeError):
        CURRENCIES["ABC"] = 2  # read-only


# Rounding ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, places, expected", [
    ("21.3962", 2, "21.39"),        # domain §3.6.6: 29 x 0.868 x 0.85
    ("21.399999", 2, "21.39"),
    ("21.39", 2, "21.39"),
    ("21", 2, "21.00"),
    ("-1.019", 2, "-1.01"),         # toward zero, as Excel's ROUNDDOWN
    ("-0.001", 2, "0.00"),          # no negative zero
    ("3.14159", 0, "3"),
    ("1234.5", -2, "1.2E+3"),       # Excel: ROUNDDOWN(1234.5, -2) = 1200
    ("0.0009", 3, "0.000"),
])
def test_round_down_is_excel_rounddown(value, places, expected):
    result = round_down(D(value), places)
    assert result == D(expected) and str(result) == expected


def test_round_down_defaults_to_microsofts_two_places():
    assert str(round_down(D("155.638938774"))) == "155.63"


@pytest.mark.parametrize("value, places, expected", [
    ("0.125", 2, "0.12"), ("0.135", 2, "0.14"), ("0.1251", 2, "0.13"), ("-0.125", 2, "-0.12"),
    ("2.5", 0, "2"), ("3.5", 0, "4"), ("-0.004", 2, "0.00"),
])
def test_round_half_even(value, places, expected):
    assert str(round_half_even(D(value), places)) == expected


def test_rounding_ignores_the_global_decimal_context():
    with decimal.localcontext(prec=3, rounding=decimal.ROUND_UP):
        assert round_down(D("123456.789")) == D("123456.78")
        assert (Money("0.868", "USD") * D("555.950039") * D("0.85")).round_down().amount == D("410.17")
        assert round_half_even(D("99999999.125"), 2) == D("99999999.12")
    assert decimal.getcontext().prec == 28  # and never changed it


# Partner Center's worked examples --------------------------------------------------------------


@pytest.mark.parametrize("quantity, billable_cost, effective_price_prefix", [
    ("29", "21.39", "0.737586"),
    ("210.950039", "155.63", "0.737757"),
    ("555.950039", "410.17", "0.737782"),
])
def test_pec_worked_example_from_azure_plan_billing(quantity, billable_cost, effective_price_prefix):
    """domain §3.6.6: UP 0.868 with PEC, BC = ROUNDDOWN(BCU x UP x 0.85, 2), EUP = BC / BCU."""
    unit_price = Money("0.868", "USD")
    cost = (unit_price * D(quantity) * D("0.85")).round_down()
    assert cost == Money(billable_cost, "USD")
    assert str(cost.amount) == billable_cost
    assert str(cost / D(quantity)).startswith(effective_price_prefix)


def test_effective_unit_price_keeps_full_precision():
    """domain §4.4: EffectiveUnitPrice 0.03825 = 0.045 x 0.85 (a rated value: not rounded)."""
    assert (Money("0.045", "USD") * D("0.85")).amount == D("0.03825")


def test_usage_subtotal_rounds_down_in_pricing_then_in_billing_currency():
    """domain §3.6.7: ROUNDDOWN(ROUNDDOWN(EUP x qty, 2) x PCToBCExchangeRate, 2), rate 0.846202666 (§4.4)."""
    subtotal = usage_subtotal(Money("0.03825", "USD"), D("1000.5"), D("0.846202666"), "EUR")
    # 0.03825 x 1000.5 = 38.269125 -> 38.26 USD; x 0.846202666 = 32.37571400116 -> 32.37 EUR
    assert subtotal == Money("32.37", "EUR")
    # Converting the unrounded USD amount would give 32.38: the order of the steps matters.
    assert convert(Money("38.269125", "USD"), D("0.846202666"), "EUR", rounding=Rounding.DOWN) == Money("32.38", "EUR")


def test_usage_subtotal_in_a_currency_without_minor_units():
    # 12.345 x 100 = 1234.5 USD -> 1234.50; x 151.237 JPY/USD = 186702.0765 -> 186702 JPY
    assert usage_subtotal(Money("12.345", "USD"), 100, D("151.237"), "JPY") == Money("186702", "JPY")


def test_license_subtotal_from_the_invoice_line_item_sample():
    """One-time line item: unitPrice 16, effectiveUnitPrice 14.4, quantity 50, rate 1, subtotal 720."""
    assert license_subtotal(Money("14.4", "USD"), 50, D("1"), "USD") == Money("720", "USD")
    # ROUNDDOWN(EUP x rate, 2) x qty: 14.4 x 0.846202666 = 12.18531839 -> 12.18 EUR, x 50 = 609.00
    assert license_subtotal(Money("14.4", "USD"), 50, D("0.846202666"), "EUR") == Money("609.00", "EUR")


def test_fx_file_usd_per_unit():
    """FX file sample: AED, USDPerUnit 0.27224589249009701 (domain §4.2)."""
    aed = D("0.27224589249009701")
    # 100 / 0.27224589249009701 = 367.31500000000006... AED
    assert from_usd(Money("100", "USD"), aed, "AED", rounding=Rounding.DOWN) == Money("367.31", "AED")
    assert from_usd(Money("100", "USD"), aed, "AED", rounding=Rounding.HALF_EVEN) == Money("367.32", "AED")
    # 367.31 x 0.27224589249009701 = 99.99863877... USD
    assert to_usd(Money("367.31", "AED"), aed, rounding=Rounding.DOWN) == Money("99.99", "USD")
    assert to_usd(Money("367.31", "AED"), aed, rounding=Rounding.HALF_EVEN) == Money("100.00", "USD")
    with pytest.raises(CurrencyMismatch):
        from_usd(Money("1", "EUR"), aed, "AED", rounding=Rounding.DOWN)


def test_cross_rate_goes_through_usd():
    # 1 EUR = 1.10 USD and 1 GBP = 1.25 USD, so 1 EUR = 0.88 GBP
    assert rate_from_usd_per_unit(D("1.10"), D("1.25")) == D("0.88")
    assert rate_from_usd_per_unit(D("1.25")) == D("1.25")
    assert convert_by_usd_per_unit(Money("100", "EUR"), D("1.10"), D("1.25"), "GBP",
                                   rounding=Rounding.DOWN) == Money("88.00", "GBP")
    for bad in (D("0"), D("-1.1")):
        with pytest.raises(MoneyError):
            rate_from_usd_per_unit(bad)
        with pytest.raises(MoneyError):
            convert_by_usd_per_unit(Money("1", "EUR"), D("1.1"), bad, "GBP", rounding=None)


def test_usd_per_unit_conversion_divides_once():
    """0.03 USD at USDPerUnit 0.3 is exactly 0.10: multiplying by a rounded reciprocal (3.33...3)
    would give 0.0999... and round down to 0.09."""
    assert from_usd(Money("0.03", "USD"), D("0.3"), "EUR", rounding=Rounding.DOWN) == Money("0.10", "EUR")
    assert convert_by_usd_per_unit(Money("0.07", "GBP"), D("0.21"), D("0.3"), "EUR",
                                   rounding=Rounding.DOWN) == Money("0.04", "EUR")  # 0.049 exactly


def test_an_inexact_quotient_rounds_like_the_exact_one():
    """Quotients longer than the 50 working digits: rounding them first to 50 digits the usual way
    would round 0.999...9 up to 1 and 0.125000...0125 down to the midpoint 0.125."""
    just_above_one = D("1." + "0" * 52 + "1")  # 1 / this = 0.99999... (53 nines, then more digits)
    assert from_usd(Money("1", "USD"), just_above_one, "EUR", rounding=Rounding.DOWN) == Money("0.99", "EUR")
    assert from_usd(Money("1", "USD"), just_above_one, "JPY", rounding=Rounding.DOWN) == Money("0", "JPY")
    a_hair_above_one = "1." + "0" * 53 + "1"  # / 8 = 0.125 + 1.25E-55: above the midpoint
    assert from_usd(Money(a_hair_above_one, "USD"), D(8), "EUR", rounding=Rounding.HALF_EVEN) == Money("0.13", "EUR")
    assert from_usd(Money("1", "USD"), D(8), "EUR", rounding=Rounding.HALF_EVEN) == Money("0.12", "EUR")


def test_money_arithmetic_is_exact_beyond_the_default_28_digits():
    big = Money("1234567890123456789012345678.12", "USD")
    assert (big + Money("0.001", "USD")).amount == D("1234567890123456789012345678.121")
    assert (big - big).amount == 0
    assert (big * D("1.000000001")).amount == D("1234567891358024679135802467.13234567812")
    assert str(-big) == "-1234567890123456789012345678.12 USD"
    assert Money.from_minor_units(123456789012345678901234567890, "EUR").to_minor_units() == 123456789012345678901234567890


# The Money value -------------------------------------------------------------------------------


def test_money_holds_a_decimal_and_a_currency():
    price = Money("12.345", "EUR")
    assert price.amount == D("12.345") and isinstance(price.amount, D)
    assert price.currency == "EUR" and price.minor_units == 2
    assert str(price) == "12.345 EUR" and repr(price) == "Money('12.345', 'EUR')"
    assert Money(7, "JPY").amount == D(7)
    assert str(Money(D("1E+3"), "USD")) == "1000 USD"


def test_money_is_immutable_hashable_and_picklable():
    price = Money("1.50", "USD")
    with pytest.raises(AttributeError):
        price.amount = D("2")
    with pytest.raises(AttributeError):
        price._amount = D("2")
    assert price == Money("1.5", "USD") and hash(price) == hash(Money("1.5", "USD"))
    assert len({price, Money("1.5", "USD"), Money("1.5", "EUR")}) == 2
    assert pickle.loads(pickle.dumps(price)) == price


def test_money_refuses_non_finite_and_non_numeric_amounts():
    for bad in ("NaN", "Infinity", "-inf", D("NaN"), "abc", ""):
        with pytest.raises(MoneyError):
            Money(bad, "USD")
    for bad in (True, None, [1], object()):
        with pytest.raises(TypeError):
            Money(bad, "USD")


def test_negative_zero_is_zero():
    assert str(Money("-0.00", "USD")) == "0.00 USD"
    assert str(-Money.zero("EUR")) == "0.00 EUR"


def test_arithmetic_within_one_currency():
    a, b = Money("10.25", "EUR"), Money("0.755", "EUR")
    assert a + b == Money("11.005", "EUR")
    assert a - b == Money("9.495", "EUR")
    assert -a == Money("-10.25", "EUR") and abs(-a) == a
    assert a * 3 == Money("30.75", "EUR") and 3 * a == a * 3
    assert a * D("0.85") == Money("8.7125", "EUR")
    assert a / 4 == Money("2.5625", "EUR")
    assert a / Money("5", "EUR") == D("2.05")
    assert sum([a, b, b]) == Money("11.760", "EUR")
    assert b < a and a >= b and not a < b
    assert Money.zero("EUR") == Money("0", "EUR") and not Money.zero("EUR") and a


def test_no_arithmetic_across_currencies():
    usd, eur = Money("1", "USD"), Money("1", "EUR")
    for operation in (lambda: usd + eur, lambda: usd - eur, lambda: usd < eur, lambda: usd >= eur,
                      lambda: usd / eur, lambda: sum([usd, eur]), lambda: total([usd], "EUR")):
        with pytest.raises(CurrencyMismatch, match="different currencies: USD and EUR|EUR and USD"):
            operation()
    assert usd != eur
    assert isinstance(CurrencyMismatch("USD", "EUR", "add"), ValueError)


def test_money_does_not_mix_with_plain_numbers_except_as_factors():
    price = Money("2", "USD")
    with pytest.raises(TypeError):
        price + D("1")
    with pytest.raises(TypeError):
        price * price
    with pytest.raises(TypeError):
        price * "2"
    with pytest.raises(TypeError):
        assert price < 3
    with pytest.raises(ZeroDivisionError):
        price / 0
    assert price != D("2")


def test_quantize_to_the_currency_minor_unit():
    assert Money("1234.999", "USD").quantize(Rounding.DOWN) == Money("1234.99", "USD")
    assert Money("1234.995", "USD").quantize(Rounding.HALF_EVEN) == Money("1235.00", "USD")
    assert Money("1234.99", "JPY").quantize(Rounding.DOWN) == Money("1234", "JPY")
    assert Money("1234.5", "KRW").quantize(Rounding.HALF_EVEN) == Money("1234", "KRW")
    assert Money("1.23456", "KWD").quantize("down") == Money("1.234", "KWD")
    assert str(Money("5", "BHD").quantize(Rounding.DOWN).amount) == "5.000"
    with pytest.raises(ValueError):
        Money("1", "USD").quantize("up")


def test_minor_units_round_trip():
    assert Money.from_minor_units(1234, "EUR") == Money("12.34", "EUR")
    assert Money.from_minor_units(-5, "KWD") == Money("-0.005", "KWD")
    assert Money("1234", "JPY").to_minor_units() == 1234
    assert Money("12.3400", "EUR").to_minor_units() == 1234 and Money("12.3400", "EUR").is_quantized
    assert not Money("12.345", "EUR").is_quantized
    with pytest.raises(MoneyError, match="quantize it first"):
        Money("12.345", "EUR").to_minor_units()


def test_total():
    assert total([], "GBP") == Money("0.00", "GBP")
    assert total([Money("0.10", "GBP")] * 3, "GBP") == Money("0.30", "GBP")


# Conversion -----------------------------------------------------------------------------------


def test_convert_rounds_by_the_named_rule():
    usd = Money("1000", "USD")
    assert convert(usd, D("0.846202666"), "EUR", rounding=None) == Money("846.202666", "EUR")
    assert convert(Money("0.03825", "USD"), D("0.846202666"), "EUR", rounding=None).amount == D("0.0323672519745")
    assert convert(Money("1.235", "USD"), D("1"), "USD", rounding=Rounding.HALF_EVEN) == Money("1.24", "USD")
    assert convert(Money("10", "USD"), D("151.999"), "JPY", rounding=Rounding.DOWN) == Money("1519", "JPY")
    assert convert(Money("10", "USD"), D("151.999"), "JPY", rounding=Rounding.HALF_EVEN) == Money("1520", "JPY")


def test_convert_refuses_bad_rates():
    usd = Money("1", "USD")
    for rate in (D("0"), D("-1"), "NaN"):
        with pytest.raises(MoneyError):
            convert(usd, rate, "EUR", rounding=None)
    with pytest.raises(MoneyError, match="rate of 1"):
        convert(usd, D("2"), "USD", rounding=None)
    with pytest.raises(UnknownCurrency):
        convert(usd, D("1"), "ZZZ", rounding=None)
    with pytest.raises(TypeError):
        convert(D("1"), D("1"), "EUR", rounding=None)
    with pytest.raises(TypeError):
        convert(usd, D("1"), "EUR")  # the rule must be named


# Allocation ---------------------------------------------------------------------------------


def test_allocate_splits_exactly():
    assert allocate(Money("10", "USD"), [1, 1, 1]) == [Money("3.34", "USD"), Money("3.33", "USD"), Money("3.33", "USD")]
    assert allocate(Money("-10", "JPY"), [1, 2]) == [Money("-3", "JPY"), Money("-7", "JPY")]
    assert allocate(Money("0.05", "EUR"), [D("0.7"), D("0.3")]) == [Money("0.04", "EUR"), Money("0.01", "EUR")]
    assert allocate(Money("1.999", "EUR"), [1, 0]) == [Money("1.99", "EUR"), Money("0", "EUR")]
    for weights in ([], [0, 0], [1, -1]):
        with pytest.raises(MoneyError):
            allocate(Money("1", "EUR"), weights)


# Properties ---------------------------------------------------------------------------------

RULES = st.sampled_from([Rounding.DOWN, Rounding.HALF_EVEN])
CURRENCY = st.sampled_from(["USD", "EUR", "JPY", "KRW", "KWD", "BHD", "CLF", "GBP", "INR"])


@st.composite
def decimals(draw, max_places=12, limit=10**12):
    places = draw(st.integers(0, max_places))
    return draw(st.decimals(min_value=-limit, max_value=limit, places=places, allow_nan=False, allow_infinity=False))


@settings(deadline=None)
@given(parts=st.lists(decimals(), max_size=40), places=st.integers(0, 4), rule=RULES)
def test_sum_of_rounded_parts_is_within_n_minor_units_of_the_rounded_sum(parts, places, rule):
    unit = D(1).scaleb(-places)
    rounded_parts = sum((round_amount(p, places, rule) for p in parts), D(0))
    rounded_sum = round_amount(exact(sum, parts, D(0)), places, rule)
    assert abs(rounded_parts - rounded_sum) <= len(parts) * unit


@settings(deadline=None)
@given(parts=st.lists(decimals().map(abs), min_size=1, max_size=40), places=st.integers(0, 4))
def test_rounding_down_nonnegative_parts_never_books_more_than_the_rounded_sum(parts, places):
    unit = D(1).scaleb(-places)
    rounded_parts = sum((round_down(p, places) for p in parts), D(0))
    rounded_sum = round_down(exact(sum, parts, D(0)), places)
    assert rounded_sum - len(parts) * unit < rounded_parts <= rounded_sum


@settings(deadline=None)
@given(value=decimals(max_places=20), places=st.integers(-3, 6))
def test_round_down_never_increases_magnitude_and_is_idempotent(value, places):
    result = round_down(value, places)
    assert abs(result) <= abs(value)
    assert result == 0 or (result > 0) == (value > 0)
    assert abs(value - result) < D(1).scaleb(-places)
    assert round_down(result, places) == result
    assert result.as_tuple().exponent == -places


@settings(deadline=None)
@given(value=decimals(max_places=20), places=st.integers(0, 6))
def test_round_half_even_is_within_half_a_unit_and_idempotent(value, places):
    result = round_half_even(value, places)
    assert abs(value - result) <= D(1).scaleb(-places) / 2
    assert round_half_even(result, places) == result


@settings(deadline=None)
@given(amount=decimals(), rate=st.decimals(min_value=D("0.000001"), max_value=D("100000"), places=9),
       currency=CURRENCY, rule=RULES)
def test_conversion_then_rounding_stays_within_one_minor_unit_of_the_exact_product(amount, rate, currency, rule):
    converted = convert(Money(amount, "SEK"), rate, currency, rounding=rule)
    unit = D(1).scaleb(-minor_units(currency))
    exact_product = exact(D.__mul__, amount, rate)
    assert converted.currency == currency and converted.is_quantized
    assert abs(converted.amount - exact_product) < unit
    if rule is Rounding.DOWN:
        assert abs(converted.amount) <= abs(exact_product)
    else:
        assert abs(converted.amount - exact_product) <= unit / 2


@settings(deadline=None)
@given(coefficient=st.integers(-10**30, 10**30), rate_coefficient=st.integers(1, 10**20),
       currency=CURRENCY, rule=RULES)
def test_products_longer_than_the_working_precision_still_round_like_the_exact_value(
        coefficient, rate_coefficient, currency, rule):
    """Amounts of 31 digits times rates of 21 digits exceed the 40-digit context: the final rounding
    must still equal the rounding of the exact product (no double rounding)."""
    amount, rate = D(coefficient).scaleb(-20), D(rate_coefficient).scaleb(-18)
    exact_product = exact(D.__mul__, amount, rate)
    converted = convert(Money(amount, "SEK"), rate, currency, rounding=rule)
    assert converted.amount == round_amount(exact_product, minor_units(currency), rule)


USD_PER_UNIT = st.decimals(min_value=D("0.00001"), max_value=D("5000"), places=17)


@settings(deadline=None)
@given(amount=decimals(max_places=4), usd_per_unit=USD_PER_UNIT)
def test_conversion_from_usd_rounds_down_the_exact_quotient(amount, usd_per_unit):
    converted = from_usd(Money(amount, "USD"), usd_per_unit, "EUR", rounding=Rounding.DOWN)
    quotient = exact(D.__truediv__, amount, usd_per_unit)  # 200 digits, truncated
    assert converted.amount == round_down(quotient, 2)


@settings(deadline=None)
@given(amount=decimals(max_places=4), source=USD_PER_UNIT, target=USD_PER_UNIT, currency=CURRENCY)
def test_cross_conversion_by_usd_per_unit_rounds_down_the_exact_quotient(amount, source, target, currency):
    converted = convert_by_usd_per_unit(Money(amount, "SEK"), source, target, currency, rounding=Rounding.DOWN)
    quotient = exact(lambda: amount * source / target)
    assert converted.amount == round_down(quotient, minor_units(currency))


@settings(deadline=None)
@given(amount=decimals(max_places=2).map(abs), weights=st.lists(st.integers(0, 1000), min_size=1, max_size=12),
       currency=CURRENCY)
def test_allocation_adds_up_and_each_part_is_within_one_minor_unit(amount, weights, currency):
    assume(sum(weights) > 0)
    money = Money(amount, currency).quantize(Rounding.DOWN)
    parts = allocate(money, weights)
    unit = D(1).scaleb(-minor_units(currency))
    assert total(parts, currency) == money
    for part, weight in zip(parts, weights, strict=True):
        share = exact(lambda w=weight: money.amount * w / sum(weights))
        assert abs(part.amount - share) < unit


FLOATS = st.floats(allow_nan=True, allow_infinity=True)


@given(value=FLOATS)
def test_floats_are_always_refused(value):
    money = Money("1", "USD")
    attempts = [
        lambda: Money(value, "USD"),
        lambda: round_down(value),
        lambda: round_half_even(value, 2),
        lambda: money * value,
        lambda: value * money,
        lambda: money / value,
        lambda: money + value,
        lambda: money - value,
        lambda: convert(money, value, "EUR", rounding=None),
        lambda: rate_from_usd_per_unit(value),
        lambda: convert_by_usd_per_unit(money, D(1), value, "EUR", rounding=None),
        lambda: from_usd(money, value, "EUR", rounding=None),
        lambda: Money.from_minor_units(value, "USD"),
        lambda: allocate(money, [value, 1]),
        lambda: usage_subtotal(money, value, D(1), "USD"),
    ]
    for attempt in attempts:
        with pytest.raises(TypeError, match="float|Money and float"):
            attempt()
