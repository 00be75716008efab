"""Filters of the Spend pages: an amount with its currency in the page's language (1,234.50 EUR; 1 234,50 EUR in
French), with the currency's decimals (none for JPY), and a percentage (82.5 %)."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

from core.money import is_currency, minor_units

register = template.Library()


def _decimal(value):
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


@register.filter
def money(value, currency=""):
    """{{ amount|money:"EUR" }} -> 1,234.50 EUR; None -> —."""
    text = amount(value, currency)
    return f"{text}\u00a0{currency}" if currency and text != "—" else text


@register.filter
def amount(value, currency=""):
    """The number alone, with the currency's decimals: 1,234.50 (for a table cell whose header names the currency)."""
    number = _decimal(value)
    if number is None:
        return "—"
    places = minor_units(currency) if is_currency(currency) else 2
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def pct(value):
    """82.5 -> 82.5 %; None -> —."""
    number = _decimal(value)
    if number is None:
        return "—"
    return f"{number_format(number, decimal_pos=1, use_l10n=True, force_grouping=True)}\u00a0%"


@register.filter
def meter_value(value, maximum=100):
    """A percentage clamped for a <meter> element's value (a spend of 180 % of the budget fills the meter)."""
    number = _decimal(value)
    if number is None:
        return 0
    return max(Decimal(0), min(number, Decimal(maximum)))
