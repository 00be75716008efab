"""Setting a customer's monthly spending budget from the Spend page (domain.md §2.11).

A stand-in with the interface of `billing.rating.budgets.budget_set(*, actor, customer, amount)` (the API's budget
service): once that one is on main, the page calls it and this module goes, so one write path remains.

The budget is informational: an amount in the partner's billing currency, or None for no budget. Only the roles that
may set budgets (Perm.SET_SPENDING_BUDGET: Admin agent) may; a customer the actor cannot see is 404."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import InvalidInput, NotFound
from core.money import minor_units
from customers.models import Customer

from ..models import SpendingBudget

MAX_BUDGET = Decimal("999999999999999999.99")  # the column's 20 digits, 2 decimals


def budget_amount_parse(value, *, currency, field="amount") -> Decimal | None:
    """None (or empty text) clears the budget; else a number from 0 with no more decimals than the currency has."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float | bool):
        raise InvalidInput(_("The budget must be a decimal number, such as 1500.00."), field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("The budget must be a decimal number, such as 1500.00."), field=field) from None
    if not amount.is_finite():
        raise InvalidInput(_("The budget must be a decimal number, such as 1500.00."), field=field)
    if amount < 0:
        raise InvalidInput(_("The budget cannot be negative; leave it empty for no budget."), field=field)
    if amount > MAX_BUDGET:
        raise InvalidInput(_("The budget is too large."), field=field)
    places = min(2, minor_units(currency))
    if amount.normalize().as_tuple().exponent < -places:
        raise InvalidInput(_("The budget has at most %(places)s decimals in %(currency)s.")
                           % {"places": places, "currency": currency}, field=field)
    return amount.quantize(Decimal(1).scaleb(-2))


def budget_set(*, actor, customer, amount) -> SpendingBudget:
    """Set (or clear, with None) `customer`'s monthly spending budget; audited as `spending_budget.updated`."""
    require(actor, Perm.SET_SPENDING_BUDGET)
    if not Customer.objects.for_actor(actor).filter(pk=customer.pk).exists():
        raise NotFound()
    currency = customer.organisation.billing_currency
    amount = budget_amount_parse(amount, currency=currency)
    now = timezone.now()
    with transaction.atomic():
        budget = SpendingBudget.objects.select_for_update().filter(customer=customer).first()
        before = budget.amount if budget else None
        if budget is None:
            budget = SpendingBudget.objects.create(customer=customer, organisation_id=customer.organisation_id,
                                                   amount=amount, currency=currency, updated_at=now)
        elif before != amount or budget.currency != currency:
            budget.amount, budget.currency, budget.updated_at = amount, currency, now
            budget.version += 1
            budget.save(update_fields=["amount", "currency", "updated_at", "version"])
        else:
            return budget  # the same amount again changes nothing
        audit_record(actor=actor, action="spending_budget.updated", obj=customer, subject=customer,
                     data={"from": None if before is None else str(before),
                           "to": None if amount is None else str(amount), "currency": currency})
    return budget
