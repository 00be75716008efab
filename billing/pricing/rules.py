"""Small rules shared by billing.pricing's services and selectors: parsing a month, a view, the markets sold."""

import re
from datetime import date

from django.utils.translation import gettext as _

from core.errors import InvalidInput

from ..models import PriceSheetView

_MONTH_RE = re.compile(r"^(\d{4})-?(\d{2})$")


def month_parse(value, *, field="month") -> date:
    """The first day of the month of `value`: a date, or text YYYY-MM or YYYYMM (Partner Center's month=YYYYMM)."""
    if isinstance(value, date):
        return value.replace(day=1)
    found = _MONTH_RE.match(str(value or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        raise InvalidInput(_("%(field)s must be a month written YYYYMM or YYYY-MM, such as 202612.") % {"field": field},
                           field=field)
    return date(int(found.group(1)), int(found.group(2)), 1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def view_parse(value, *, field="view") -> str:
    """`azure_consumption` or `azure_reservations` (any case), else 400 naming the views."""
    view = str(value or "").strip().lower()
    if view not in PriceSheetView.values:
        raise InvalidInput(_("Unknown price sheet view “%(view)s”: the views are %(views)s.")
                           % {"view": str(value)[:60], "views": ", ".join(PriceSheetView.values)}, field=field)
    return view


def sold_markets() -> frozenset:
    """The markets (ISO-2) where this install sells the Azure plan: its catalog's Azure plan availabilities."""
    from azureplan.choices import AZURE_PLAN_PRODUCT_ID
    from azureplan.models import Availability

    return frozenset(Availability.objects.filter(sku__product_id=AZURE_PLAN_PRODUCT_ID)
                     .values_list("country_id", flat=True).distinct())
