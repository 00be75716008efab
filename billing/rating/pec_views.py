"""billing.rating's part of the Azure subscription page: the PEC calendar section (registered into
azureplan.registry from billing/registrations.py)."""

import re
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Perm, allowed

from ..usage.partitions import month_start, next_month
from . import selectors

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MONTH_PARAM = "pec_month"


def _month_from(request) -> tuple[date, str]:
    today = timezone.now().date()
    value = (request.GET.get(MONTH_PARAM) or "").strip()
    if not value:
        return month_start(today), ""
    found = _MONTH.match(value)
    if found and 1 <= int(found.group(2)) <= 12 and 2000 <= int(found.group(1)) <= 2999:
        return date(int(found.group(1)), int(found.group(2)), 1), ""
    return month_start(today), _("“%(value)s” is not a month (YYYY-MM): this month is shown.") % {"value": value[:20]}


def pec_calendar_section(request, sub) -> dict | None:
    """The section's data, or None (hidden) when the actor may not see partner earned credit."""
    if not allowed(request.actor, Perm.VIEW_PEC):
        return None
    month, error = _month_from(request)
    previous = month_start(month - timedelta(days=1))
    data = selectors.pec_calendar(actor=request.actor, sub=sub, month=month)
    data.update(
        error=error,
        previous=f"{previous:%Y-%m}", next=f"{next_month(month):%Y-%m}",
        param=MONTH_PARAM,
        mismatches=selectors.pec_mismatches_of_subscription(actor=request.actor, sub=sub, month=month),
    )
    if allowed(request.actor, Perm.VIEW_SPEND):
        # Back to what those days cost: the customer's Spend page of the same month.
        data["spend_url"] = (reverse("billing:spend_customer", args=[sub.plan.customer.tenant_id])
                             + f"?month={month:%Y-%m}")
    return data
