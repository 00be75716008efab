"""Filters of the Pricing pages: prices and tier bounds as Microsoft writes them (no trailing zeros, never an
exponent), in the page's language (0,096 in French), and signed percentages."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

TOP_TIER = Decimal("9e18")  # Microsoft's open top tier is 9223372036854780000


def _plain(value):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return Decimal(format(number.normalize(), "f"))


@register.filter
def price(value):
    """0.096000000000000000 -> 0.096 (0,096 in French); None -> —."""
    number = _plain(value) if value is not None else None
    if number is None:
        return "—"
    return number_format(number, use_l10n=True)


@register.filter
def tier_bound(value):
    """A tier bound: ∞ for the open top tier (or none), else the number."""
    number = _plain(value) if value is not None else None
    if number is None or number >= TOP_TIER:
        return "∞"
    return number_format(number, use_l10n=True)


@register.filter
def percent(value):
    """+2.5 %, −3.1 %, 0 %; None -> —."""
    number = _plain(value) if value is not None else None
    if number is None:
        return "—"
    text = number_format(abs(number), decimal_pos=None, use_l10n=True)
    sign = "+" if number > 0 else ("−" if number < 0 else "")
    return f"{sign}{text} %"


@register.filter
def view_label(value):
    """A price sheet view's label (Azure plan consumption) from its value (azure_consumption)."""
    from billing.models import PriceSheetView

    return PriceSheetView(value).label if value in PriceSheetView.values else value
