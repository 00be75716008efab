"""Money for billing: Decimal amounts tied to an ISO 4217 currency, and Microsoft's rounding.

The rules this module implements, and where each applies, are written down in docs/billing.md
("Money and rounding"). In short:

- amounts are `Decimal`, never `float`: every entry point refuses a float with a TypeError;
- rated values (unit prices, quantities, products, converted amounts) keep full precision;
- booked amounts are rounded to the currency's minor unit, by Microsoft's `ROUNDDOWN(x, 2)`
  (toward zero, as Excel's ROUNDDOWN) at the steps Partner Center documents, and by
  round-half-even where a total has to be rounded and no Microsoft rule says otherwise;
- `convert` takes an exchange rate as a `Decimal` number of target-currency units per one
  source-currency unit (Partner Center's `PCToBCExchangeRate`); the monthly FX file gives
  `USDPerUnit` instead (USD per one unit of the currency), which `convert_by_usd_per_unit`,
  `to_usd` and `from_usd` take directly.

Arithmetic never touches the global decimal context. Addition, subtraction and multiplication are
exact (each runs in a local context with as many digits as its result needs). Division, the only
inexact step (a USDPerUnit conversion, a ratio), runs in `CONTEXT`: 50 significant digits with
ROUND_05UP, a "sticky" rounding that makes an inexact quotient end in a digit other than 0 or 5, so
the final rounding to the minor unit gives what it would give on the exact quotient, whatever its
mode. Chain products first and divide once, at the end.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import ROUND_05UP, ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from types import MappingProxyType

PRECISION = 50

CONTEXT = decimal.Context(
    prec=PRECISION,
    rounding=ROUND_05UP,
    Emin=-999999,
    Emax=999999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

# Microsoft's recon formulas round with ROUNDDOWN(x, 2) [domain.md §3.6.7].
MICROSOFT_PLACES = 2


class Rounding(StrEnum):
    """How an amount is rounded to a number of decimal places."""

    DOWN = "down"  # Microsoft's ROUNDDOWN: toward zero, as Excel's ROUNDDOWN
    HALF_EVEN = "half_even"  # banker's rounding, for totals no Microsoft rule covers

    @property
    def decimal_rounding(self):
        return ROUND_DOWN if self is Rounding.DOWN else ROUND_HALF_EVEN


class MoneyError(ValueError):
    """Base class of this module's errors: a programming or data error, not a request error.

    Services that take a currency or an amount from a request validate it first and raise a
    core.errors.InvalidInput themselves; these errors reaching a response are bugs.
    """


class CurrencyMismatch(MoneyError):
    """Arithmetic or a comparison between amounts of two different currencies."""

    def __init__(self, left, right, operation):
        self.left, self.right, self.operation = left, right, operation
        super().__init__(f"Cannot {operation} amounts in different currencies: {left} and {right}. "
                         "Convert one of them with an exchange rate first.")


class UnknownCurrency(MoneyError):
    """A currency code that is not an ISO 4217 code in the table below."""

    def __init__(self, code):
        self.code = code
        super().__init__(f"{code!r} is not a known ISO 4217 currency code.")


# ISO 4217 currency codes and their minor units (decimal places), from the ISO 4217 list
# (List One, 2024). Precious metals, testing codes and units without minor units (XAU, XDR, XTS,
# XXX...) are left out: nothing is billed in them. Partner Center bills partners in USD, EUR,
# GBP, DKK, NOK, SEK, CHF, AUD, CAD, NZD, BRL, CNY, INR, JPY, KRW and TWD (domain.md §2.1); the FX
# file carries many more currencies, and license-based products are priced in local currencies
# (§3.4.1), so the whole list is here.
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL "
    "MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK "
    "PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
    "TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
    # Withdrawn recently but still found in older FX files and invoices: Croatian kuna (until
    # 2023), Cuban convertible peso, Sierra Leonean leone (old), Zimbabwean dollar.
    " HRK CUC SLL ZWL"
)

CURRENCIES = MappingProxyType({
    code: places
    for codes, places in ((_ZERO_DECIMALS, 0), (_TWO_DECIMALS, 2), (_THREE_DECIMALS, 3), (_FOUR_DECIMALS, 4))
    for code in codes.split()
})


def minor_units(code):
    """Decimal places of the currency's minor unit: 2 for USD and EUR, 0 for JPY, 3 for KWD."""
    try:
        return CURRENCIES[code]
    except (KeyError, TypeError):
        raise UnknownCurrency(code) from None


def is_currency(code):
    return isinstance(code, str) and code in CURRENCIES


def _refuse_float(value, what):
    if isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, an int or a string, never a float (got {value!r}): "
                        "floats cannot hold money exactly. Use Decimal('...') or a string.")


def to_decimal(value, what="amount", *, allow_str=True):
    """A finite Decimal from a Decimal, an int or a numeric string; a float is a TypeError."""
    _refuse_float(value, what)
    if isinstance(value, bool) or (isinstance(value, str) and not allow_str):
        raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__} ({value!r}).")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise MoneyError(f"{what} {value!r} is not a decimal number.") from None
    else:
        raise TypeError(f"{what} must be a Decimal, an int or a string, not {type(value).__name__}.")
    if not result.is_finite():
        raise MoneyError(f"{what} must be a finite number, not {result}.")
    return result


def _round(amount, places, rounding):
    amount = to_decimal(amount)
    if isinstance(places, bool) or not isinstance(places, int):
        raise TypeError(f"places must be an int, not {places!r}.")
    exponent = Decimal(1).scaleb(-places)
    # Enough digits for the integer part plus the places asked for: quantize never rounds twice.
    digits = max(amount.adjusted() + 1, 1) + max(places, 0) + 1
    with decimal.localcontext(CONTEXT) as ctx:
        ctx.prec = max(PRECISION, digits)
        result = amount.quantize(exponent, rounding=rounding)
    return result if result else result.copy_abs()  # no "-0.00"


def round_down(amount, places=MICROSOFT_PLACES):
    """Microsoft's ROUNDDOWN(amount, places): toward zero, as Excel's ROUNDDOWN.

    round_down(Decimal("21.3962")) == Decimal("21.39"); round_down(Decimal("-1.019")) == Decimal("-1.01").
    The result always has exactly `places` decimals (negative places round to tens, hundreds...).
    """
    return _round(amount, places, ROUND_DOWN)


def round_half_even(amount, places):
    """Round to `places` decimals, halves to the even neighbour (0.125 -> 0.12, 0.135 -> 0.14)."""
    return _round(amount, places, ROUND_HALF_EVEN)


def round_amount(amount, places, rule):
    return _round(amount, places, Rounding(rule).decimal_rounding)


def _exact(operation, a, b, prec):
    with decimal.localcontext(CONTEXT) as ctx:
        ctx.prec = max(prec, 1)
        ctx.traps[decimal.Inexact] = True  # a bug in the digit count below must fail loudly
        return operation(a, b)


def _mul(a, b):
    """a × b, exact: the product's coefficient has at most the sum of the operands' digits."""
    return _exact(Decimal.__mul__, a, b, len(a.as_tuple().digits) + len(b.as_tuple().digits))


def _add(a, b):
    """a + b, exact: enough digits to span from the larger magnitude down to the smaller exponent."""
    top = max(a.adjusted(), b.adjusted()) + 2
    bottom = min(a.as_tuple().exponent, b.as_tuple().exponent)
    return _exact(Decimal.__add__, a, b, top - bottom + 1)


def _div(a, b):
    """a / b at PRECISION significant digits, sticky (ROUND_05UP) when inexact."""
    with decimal.localcontext(CONTEXT):
        return a / b


class Money:
    """An immutable amount of one currency: Money("12.34", "EUR"), Money(Decimal("0.737586"), "USD").

    The amount keeps whatever precision it is given (rated values); `quantize` rounds it to the
    currency's minor unit by a named rule (booked values). Amounts of different currencies never
    mix: adding, subtracting or ordering them raises CurrencyMismatch.
    """

    __slots__ = ("_amount", "_currency")

    def __init__(self, amount, currency):
        if not is_currency(currency):
            raise UnknownCurrency(currency)
        amount = to_decimal(amount)
        object.__setattr__(self, "_amount", amount if amount else amount.copy_abs())  # no "-0.00"
        object.__setattr__(self, "_currency", currency)

    def __setattr__(self, name, value):
        raise AttributeError("Money is immutable")

    def __delattr__(self, name):
        raise AttributeError("Money is immutable")

    def __reduce__(self):
        return (Money, (self._amount, self._currency))

    @property
    def amount(self):
        return self._amount

    @property
    def currency(self):
        return self._currency

    @property
    def minor_units(self):
        return CURRENCIES[self._currency]

    @classmethod
    def zero(cls, currency):
        return cls(Decimal(0).scaleb(-minor_units(currency)), currency)

    @classmethod
    def from_minor_units(cls, units, currency):
        """Money.from_minor_units(1234, "EUR") == Money("12.34", "EUR"); JPY has no minor unit."""
        _refuse_float(units, "minor units")
        if isinstance(units, bool) or not isinstance(units, int):
            raise TypeError(f"minor units must be an int, not {units!r}.")
        sign, digits, _ = Decimal(units).as_tuple()
        return cls(Decimal((sign, digits, -minor_units(currency))), currency)

    def to_minor_units(self):
        """The amount as an int of minor units (cents); the amount must already be quantized."""
        if not self.is_quantized:
            raise MoneyError(f"{self} has more decimals than {self._currency}'s minor unit: quantize it first.")
        return int(_mul(self._amount, Decimal(1).scaleb(self.minor_units)))

    @property
    def is_quantized(self):
        """True when the amount has no more decimals than the currency's minor unit."""
        return self._amount == round_down(self._amount, self.minor_units)

    def quantize(self, rule):
        """Round to the currency's minor unit by `rule` (Rounding.DOWN = Microsoft's ROUNDDOWN)."""
        return Money(round_amount(self._amount, self.minor_units, rule), self._currency)

    def round_down(self, places=MICROSOFT_PLACES):
        return Money(round_down(self._amount, places), self._currency)

    # Arithmetic -------------------------------------------------------------------------

    def _same_currency(self, other, operation):
        if not isinstance(other, Money):
            _refuse_float(other, f"the other operand of {operation}")
            raise TypeError(f"Cannot {operation} Money and {type(other).__name__}: both must be Money.")
        if other._currency != self._currency:
            raise CurrencyMismatch(self._currency, other._currency, operation)
        return other._amount

    def __add__(self, other):
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self  # sum() starts from 0
        return Money(_add(self._amount, self._same_currency(other, "add")), self._currency)

    def __radd__(self, other):
        return self.__add__(other)

    def __sub__(self, other):
        return Money(_add(self._amount, self._same_currency(other, "subtract").copy_negate()), self._currency)

    def __mul__(self, factor):
        if isinstance(factor, Money):
            raise TypeError("Cannot multiply Money by Money.")
        factor = to_decimal(factor, "a factor", allow_str=False)
        return Money(_mul(self._amount, factor), self._currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor):
        if isinstance(divisor, Money):
            return _div(self._amount, self._same_currency(divisor, "divide"))
        divisor = to_decimal(divisor, "a divisor", allow_str=False)
        if not divisor:
            raise ZeroDivisionError("division of Money by zero")
        return Money(_div(self._amount, divisor), self._currency)

    def __neg__(self):
        return Money(self._amount.copy_negate(), self._currency)

    def __pos__(self):
        return self

    def __abs__(self):
        return Money(self._amount.copy_abs(), self._currency)

    def __bool__(self):
        return bool(self._amount)

    # Comparison: equal by value (1.0 USD == 1.00 USD); never equal across currencies ----------

    def __eq__(self, other):
        if not isinstance(other, Money):
            return NotImplemented
        return self._currency == other._currency and self._amount == other._amount

    def __hash__(self):
        return hash((self._amount, self._currency))

    def __lt__(self, other):
        return self._amount < self._same_currency(other, "compare")

    def __le__(self, other):
        return self._amount <= self._same_currency(other, "compare")

    def __gt__(self, other):
        return self._amount > self._same_currency(other, "compare")

    def __ge__(self, other):
        return self._amount >= self._same_currency(other, "compare")

    def __repr__(self):
        return f"Money('{self._amount}', '{self._currency}')"

    def __str__(self):
        return f"{self._amount:f} {self._currency}"


def total(items: Iterable[Money], currency):
    """The exact sum of Money items of `currency` (zero when there are none); any other currency is a
    CurrencyMismatch."""
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result


def allocate(money: Money, weights: Sequence, rule=Rounding.DOWN):
    """Split `money` into parts proportional to `weights`, each in whole minor units, adding up exactly.

    The amount is first quantized to the currency's minor unit by `rule`; each share is rounded
    down (toward zero), and the minor units left over go one each to the shares with the largest
    remainders (ties to the earlier share). Each part is within one minor unit of its exact share.
    """
    weights = [to_decimal(w, "a weight") for w in weights]
    if not weights:
        raise MoneyError("allocate needs at least one weight.")
    if any(w < 0 for w in weights):
        raise MoneyError("weights must not be negative.")
    weight_sum = Decimal(0)
    for weight in weights:
        weight_sum = _add(weight_sum, weight)
    if not weight_sum:
        raise MoneyError("weights must not all be zero.")
    units = money.quantize(rule).to_minor_units()
    sign = -1 if units < 0 else 1
    units = abs(units)
    exact = [_div(_mul(Decimal(units), w), weight_sum) for w in weights]
    floors = [int(share) for share in exact]
    left_over = units - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left_over]:
        floors[i] += 1
    return [Money.from_minor_units(sign * part, money.currency) for part in floors]


# Exchange rates -------------------------------------------------------------------------


def _convert(money, to_currency, rounding, multiplier, divisor=None):
    if not isinstance(money, Money):
        raise TypeError(f"conversion takes Money, not {type(money).__name__}.")
    if not is_currency(to_currency):
        raise UnknownCurrency(to_currency)
    amount = _mul(money.amount, multiplier)
    if divisor is not None:
        amount = _div(amount, divisor)
    converted = Money(amount, to_currency)
    return converted if rounding is None else converted.quantize(rounding)


def _positive(value, what):
    value = to_decimal(value, what)
    if value <= 0:
        raise MoneyError(f"{what} must be positive, not {value}.")
    return value


def convert(money: Money, rate, to_currency, *, rounding):
    """`money` in `to_currency`, at `rate` units of `to_currency` per one unit of money's currency.

    This is Partner Center's PCToBCExchangeRate convention (USD -> EUR at 0.846202666 means
    1 USD = 0.846202666 EUR). The product is exact; `rounding` is required so every caller names
    its rule: Rounding.DOWN (Microsoft's ROUNDDOWN to the target's minor unit),
    Rounding.HALF_EVEN, or None to keep the exact product (a rated value a later step rounds).
    """
    rate = _positive(rate, "an exchange rate")
    if isinstance(money, Money) and to_currency == money.currency and rate != 1:
        raise MoneyError(f"Converting {money.currency} to itself needs a rate of 1, not {rate}.")
    return _convert(money, to_currency, rounding, rate)


def convert_by_usd_per_unit(money: Money, source_usd_per_unit, target_usd_per_unit, to_currency, *, rounding):
    """`money` in `to_currency` with the FX file's USDPerUnit values of both currencies (USD's is 1).

    The FX file gives, per currency, the USD value of one unit of it (`USDPerUnit`). The result is
    amount × USDPerUnit(source) / USDPerUnit(target): one division, so the final rounding is that of
    the exact quotient. A cross rate (license-based products priced in a local currency, §3.4.1)
    goes through USD this way.
    """
    source = _positive(source_usd_per_unit, "USDPerUnit")
    target = _positive(target_usd_per_unit, "USDPerUnit")
    return _convert(money, to_currency, rounding, source, None if target == 1 else target)


def to_usd(money: Money, usd_per_unit, *, rounding):
    """`money` in USD: amount × USDPerUnit of its currency."""
    return convert_by_usd_per_unit(money, usd_per_unit, 1, "USD", rounding=rounding)


def from_usd(money: Money, usd_per_unit, to_currency, *, rounding):
    """A USD amount in `to_currency`: amount / USDPerUnit of `to_currency`."""
    if isinstance(money, Money) and money.currency != "USD":
        raise CurrencyMismatch(money.currency, "USD", "convert from USD")
    return convert_by_usd_per_unit(money, 1, usd_per_unit, to_currency, rounding=rounding)


def rate_from_usd_per_unit(source_usd_per_unit, target_usd_per_unit=Decimal(1)):
    """A rate in the PCToBCExchangeRate convention (target units per source unit) from USDPerUnit values:
    USDPerUnit(source) / USDPerUnit(target), to 50 significant digits. For showing or storing a rate;
    to convert an amount, convert_by_usd_per_unit divides once and rounds exactly.
    """
    source = _positive(source_usd_per_unit, "USDPerUnit")
    target = _positive(target_usd_per_unit, "USDPerUnit")
    return _div(source, target)


# Microsoft's recon subtotals [domain.md §3.6.7] ----------------------------------------------


def _booking_places(currency):
    # ROUNDDOWN(x, 2) as written, but never finer than the billing currency can be invoiced in:
    # a JPY or KRW amount is rounded down to whole units.
    return min(MICROSOFT_PLACES, minor_units(currency))


def usage_subtotal(effective_unit_price: Money, billable_quantity, pc_to_bc_rate, billing_currency):
    """Usage-based recon Subtotal:
    ROUNDDOWN(ROUNDDOWN(EffectiveUnitPrice × BillableQuantity, 2) × PCToBCExchangeRate, 2).

    The first ROUNDDOWN is in the pricing currency, the second in the billing currency.
    """
    quantity = to_decimal(billable_quantity, "a quantity")
    priced = (effective_unit_price * quantity).round_down(_booking_places(effective_unit_price.currency))
    converted = convert(priced, pc_to_bc_rate, billing_currency, rounding=None)
    return converted.round_down(_booking_places(billing_currency))


def license_subtotal(effective_unit_price: Money, billable_quantity, pc_to_bc_rate, billing_currency):
    """License-based recon Subtotal: ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2) × BillableQuantity.

    Only the unit price is rounded; with a whole quantity the product is a booked amount already.
    """
    quantity = to_decimal(billable_quantity, "a quantity")
    unit = convert(effective_unit_price, pc_to_bc_rate, billing_currency, rounding=None)
    return unit.round_down(_booking_places(billing_currency)) * quantity
