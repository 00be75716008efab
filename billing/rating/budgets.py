"""Writes of spending budgets and the budget alert e-mails (domain.md §2.11, docs/billing.md "Spend and budgets").

A budget is a monthly amount per customer in the partner's billing currency, informational only (usage is never
stopped). `budget_set` sets or clears it (amount None), checked against Perm.SET_SPENDING_BUDGET, optimistic
concurrency through the budget's etag (If-Match), audited.

Alerts: `budget_alerts_send` (the daily beat task billing.tasks.send_budget_alerts) e-mails the billing partner's
Global admins and Billing admins about each customer whose month-to-date spend of the open month is at 80 % of its
budget or more, and not past 100 %; at most once every 7 days per customer (counted from the last alert, across
months). Each alert is a BudgetAlert row, written in the same transaction as the e-mails are handed to the mail
backend: a failure sends nothing and records nothing, and the next day's run tries again.
"""

import datetime as dt
import hashlib
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import User
from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import EtagMismatch, InvalidInput
from core.tenancy import get_for_actor_or_404
from customers.models import Customer

from ..models import BudgetAlert, SpendingBudget, UsageRecord
from ..usage.partitions import month_start, next_month

ALERT_THRESHOLD = Decimal("80")  # percent of the budget
ALERT_CEILING = Decimal("100")  # past it: no more alerts
ALERT_INTERVAL = dt.timedelta(days=7)
# 15 significant digits: Partner Center's budget is a JSON number, which clients (and our renderer) read as a double;
# every amount up to this one comes back to the cent, a larger one would not (1234567890123456.78 -> ...456.8).
MAX_AMOUNT = Decimal("9999999999999.99")

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- the budget


def budget_etag(customer, budget) -> str:
    """The etag of a customer's budget resource: its row's version (core.api.etag's algorithm), or, before any budget
    was set, one of the customer that the first PATCH accepts."""
    from core.api.etag import etag_for

    if budget is not None:
        return etag_for(budget)
    raw = f"{settings.SECRET_KEY[:8]}:billing.SpendingBudget:customer:{customer.pk}:0"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def parse_budget_amount(value, *, field="amount") -> Decimal | None:
    """A budget amount as sent: a JSON number of 0 or more with at most 2 decimals, or null (no budget). Anything
    else (text, true/false, a negative number, NaN, too many decimals or digits) is a 400 naming the field."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidInput(_("The budget amount must be a number (or null to remove the budget)."), field=field)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(_("The budget amount must be a number (or null to remove the budget)."),
                           field=field) from None
    if not amount.is_finite():
        raise InvalidInput(_("The budget amount must be a number (or null to remove the budget)."), field=field)
    if amount < 0:
        raise InvalidInput(_("The budget amount cannot be negative."), field=field)
    if amount > MAX_AMOUNT:
        raise InvalidInput(_("The budget amount is too large: at most 9999999999999.99."), field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(_("The budget amount has at most 2 decimals."), field=field)
    return amount.quantize(Decimal("0.01"))


def budget_set(*, actor, customer, amount, expected_etag=None) -> SpendingBudget:
    """Set (amount >= 0) or clear (None) the customer's monthly spending budget, in the partner's billing currency.
    `amount` is checked as parse_budget_amount does; a stale `expected_etag` is 412/2055. Nothing changes on error."""
    require(actor, Perm.SET_SPENDING_BUDGET)
    amount = parse_budget_amount(amount)
    with transaction.atomic():
        customer = get_for_actor_or_404(Customer.objects.select_for_update(of=("self",))
                                        .select_related("organisation__country"), actor, pk=customer.pk)
        budget = SpendingBudget.objects.select_for_update().filter(customer=customer).first()
        if expected_etag not in (None, "*") and expected_etag != budget_etag(customer, budget):
            raise EtagMismatch()
        before = budget.amount if budget is not None else None
        currency = customer.organisation.country.currency
        if budget is None:
            budget = SpendingBudget.objects.create(customer=customer, organisation_id=customer.organisation_id,
                                                   amount=amount, currency=currency, updated_at=timezone.now())
        elif before != amount or budget.currency != currency:
            budget.amount = amount
            budget.currency = currency
            budget.updated_at = timezone.now()
            budget.version += 1
            budget.save(update_fields=["amount", "currency", "updated_at", "version"])
        else:
            return budget
        audit_record(actor=actor, action="customer.spending_budget_set", obj=customer, subject=customer,
                     data={"from": None if before is None else str(before),
                           "to": None if amount is None else str(amount), "currency": currency})
    return budget


# ---------------------------------------------------------------- alerts


def alert_recipients(organisation_id) -> list[User]:
    """Who gets a budget alert of a partner: its active Global admins and Billing admins, by e-mail."""
    return list(User.objects.filter(organisation_id=organisation_id, is_active=True)
                .filter(Q(roles__contains=[Role.GLOBAL_ADMIN.value]) | Q(roles__contains=[Role.BILLING_ADMIN.value]))
                .order_by("email"))


def _spend_page_url(customer) -> str:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    try:
        return base + reverse("billing:spend_customer", args=[customer.tenant_id])
    except NoReverseMatch:
        return base + "/"


def _alert_message(*, user, customer, spend, budget, currency, percent, month):
    language = user.language if user.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"user": user, "customer": customer, "spend": spend, "budget": budget, "currency": currency,
                   "percent": percent, "month": month, "url": _spend_page_url(customer)}
        subject = render_to_string("billing/email/budget_alert_subject.txt", context).strip()
        body = render_to_string("billing/email/budget_alert_body.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def budget_alerts_send(*, now=None) -> dict:
    """E-mail the budget alerts due now (module docstring). Safe to run twice: the 7-day rule reads BudgetAlert under
    a lock on the budget row. Returns counts: sent (customers alerted), messages (e-mails), checked (budgets)."""
    now = now or timezone.now()
    month = month_start(now.date())
    end = next_month(month)
    budgets = list(SpendingBudget.objects.filter(amount__gt=0)
                   .values_list("customer_id", "organisation_id", "amount", "currency"))
    if not budgets:
        return {"checked": 0, "sent": 0, "messages": 0}
    # Month-to-date spend of every budgeted customer by billing currency, one grouped query per partner (the
    # organisation leads the key); a budget counts the rows rated in its own currency only.
    spend = {}
    by_organisation = {}
    for customer_id, organisation_id, _amount, _currency in budgets:
        by_organisation.setdefault(organisation_id, []).append(customer_id)
    for organisation_id, customer_ids in by_organisation.items():
        rows = (UsageRecord.objects.filter(organisation_id=organisation_id, customer_id__in=customer_ids,
                                           usage_date__gte=month, usage_date__lt=end, rated_at__isnull=False)
                .values("customer_id", "billing_currency")
                .annotate(total=Coalesce(Sum("billing_pre_tax_total"), Decimal("0"))).order_by())
        spend.update({(row["customer_id"], row["billing_currency"]): row["total"] for row in rows})
    due = []
    for customer_id, _organisation_id, amount, currency in budgets:
        total = spend.get((customer_id, currency), Decimal("0"))
        percent = total * 100 / amount
        if ALERT_THRESHOLD <= percent <= ALERT_CEILING:
            due.append(customer_id)
    sent = messages = 0
    for customer_id in due:
        count = _alert_one(customer_id, now=now, month=month, end=end)
        if count:
            sent += 1
            messages += count
    return {"checked": len(budgets), "sent": sent, "messages": messages}


def _alert_one(customer_id, *, now, month, end) -> int:
    """Alert one customer's partner if still due (checked again under the budget row's lock); e-mails sent."""
    with transaction.atomic():
        budget = (SpendingBudget.objects.select_for_update().select_related("customer__organisation__country")
                  .filter(customer_id=customer_id, amount__gt=0).first())
        if budget is None:
            return 0
        if BudgetAlert.objects.filter(customer_id=customer_id, sent_at__gt=now - ALERT_INTERVAL).exists():
            return 0
        customer = budget.customer
        currency = budget.currency or customer.organisation.country.currency
        total = (UsageRecord.objects.filter(organisation_id=budget.organisation_id, customer_id=customer_id,
                                            usage_date__gte=month, usage_date__lt=end, rated_at__isnull=False,
                                            billing_currency=currency)
                 .aggregate(total=Coalesce(Sum("billing_pre_tax_total"), Decimal("0")))["total"])
        percent = (total * 100 / budget.amount).quantize(Decimal("0.01"))
        if not ALERT_THRESHOLD <= total * 100 / budget.amount <= ALERT_CEILING:
            return 0
        recipients = alert_recipients(customer.organisation_id)
        BudgetAlert.objects.create(customer=customer, organisation_id=customer.organisation_id, month=month,
                                   sent_at=now, spend=total, budget=budget.amount, currency=currency,
                                   percent=percent, recipients=[user.email for user in recipients])
        if recipients:
            messages = [_alert_message(user=user, customer=customer, spend=total, budget=budget.amount,
                                       currency=currency, percent=percent, month=month) for user in recipients]
            mailers.default.send_messages(messages)
        else:
            logger.info("Budget alert for customer %s: its partner has no Global admin or Billing admin to e-mail.",
                        customer.tenant_id)
    return len(recipients)
