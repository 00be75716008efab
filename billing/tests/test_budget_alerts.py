"""Budget alert e-mails (domain.md §2.11): at 80 % of the budget or more, to the partner's Global admins and Billing
admins, at most once every 7 days per customer, none once the spend is past 100 %."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.choices import Role
from azureplan.tests.factories import azure_plan_with_subscriptions
from billing.models import BudgetAlert, SpendingBudget
from billing.rating.budgets import budget_alerts_send
from billing.tests.factories_spendapi import insert_usage, usage_record
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 15, 7, 0, tzinfo=dt.UTC)
MONTH = dt.date(2026, 12, 1)


@pytest.fixture
def people(org, make_user, global_admin):
    return {
        "ga": global_admin,
        "ba": make_user(Role.BILLING_ADMIN, email="ba@a.example.com", language="fr"),
        "aa": make_user(Role.ADMIN_AGENT, email="aa@a.example.com"),
        "gone": make_user(Role.GLOBAL_ADMIN, email="gone@a.example.com", is_active=False),
    }


@pytest.fixture
def customer(org):
    return azure_plan_with_subscriptions(CustomerFactory(organisation=org, company_name="Contoso"), n=1).customer


def _spend(customer, amount, day=MONTH):
    sub = customer.azure_plans.get().azure_subscriptions.get()
    insert_usage([usage_record(sub, day=day, quantity=str(amount), unit_price="1", resource_uri=f"/r/{day}/{amount}")])


def _budget(customer, amount):
    return SpendingBudget.objects.create(customer=customer, organisation_id=customer.organisation_id,
                                         amount=Decimal(amount), currency="USD", updated_at=NOW)


def test_at_80_percent_the_global_and_billing_admins_get_it_in_their_language(people, customer):
    _budget(customer, "100")
    _spend(customer, 80)
    result = budget_alerts_send(now=NOW)
    assert result == {"checked": 1, "sent": 1, "messages": 2}
    assert sorted(m.to[0] for m in mail.outbox) == ["ba@a.example.com", "ga@a.example.com"]
    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to["ga@a.example.com"].subject == "Azure spending budget: Contoso has used 80 % of its budget"
    assert by_to["ba@a.example.com"].subject == "Budget de dépenses Azure : Contoso a utilisé 80 % de son budget"
    assert "80.00 USD" in by_to["ga@a.example.com"].body and "100.00 USD" in by_to["ga@a.example.com"].body
    alert = BudgetAlert.objects.get()
    assert (alert.month, alert.spend, alert.budget, alert.percent) == (MONTH, 80, 100, Decimal("80.00"))
    assert alert.recipients == ["ba@a.example.com", "ga@a.example.com"]


def test_again_within_7_days_nothing_after_7_days_again(people, customer):
    _budget(customer, "100")
    _spend(customer, 85)
    budget_alerts_send(now=NOW)
    assert len(mail.outbox) == 2
    budget_alerts_send(now=NOW)  # the same day (a task run twice)
    budget_alerts_send(now=NOW + dt.timedelta(days=6, hours=23))
    assert len(mail.outbox) == 2 and BudgetAlert.objects.count() == 1
    budget_alerts_send(now=NOW + dt.timedelta(days=7))
    assert len(mail.outbox) == 4 and BudgetAlert.objects.count() == 2


@pytest.mark.parametrize("spent,sent", [(79, False), ("79.99", False), (80, True), (100, True), ("100.01", False),
                                        (250, False)])
def test_the_window_is_80_to_100_percent(people, customer, spent, sent):
    _budget(customer, "100")
    _spend(customer, spent)
    budget_alerts_send(now=NOW)
    assert bool(mail.outbox) is sent
    assert BudgetAlert.objects.exists() is sent


def test_past_100_percent_never_even_after_7_days(people, customer):
    _budget(customer, "100")
    _spend(customer, 90)
    budget_alerts_send(now=NOW)
    _spend(customer, 20, day=MONTH + dt.timedelta(days=1))
    for days in (1, 7, 8, 14):
        budget_alerts_send(now=NOW + dt.timedelta(days=days))
    assert len(mail.outbox) == 2 and BudgetAlert.objects.count() == 1


def test_no_budget_a_zero_budget_or_last_months_spend_send_nothing(people, customer, org):
    _spend(customer, 90, day=dt.date(2026, 11, 20))  # last month's usage does not count in December
    _budget(customer, "100")
    other = azure_plan_with_subscriptions(CustomerFactory(organisation=org), n=1).customer
    _spend(other, 0)
    _budget(other, "0")
    assert budget_alerts_send(now=NOW) == {"checked": 1, "sent": 0, "messages": 0}
    assert not mail.outbox


def test_the_month_rolls_over(people, customer):
    """The spend that counts is the open month's: on 1 January December's 90 % is history, and the 7-day clock
    keeps running across the month end (an alert on 28 December holds the next one until 4 January)."""
    _budget(customer, "100")
    _spend(customer, 90)
    budget_alerts_send(now=dt.datetime(2026, 12, 28, 7, tzinfo=dt.UTC))
    assert len(mail.outbox) == 2
    _spend(customer, 85, day=dt.date(2027, 1, 1))
    budget_alerts_send(now=dt.datetime(2027, 1, 2, 7, tzinfo=dt.UTC))
    assert len(mail.outbox) == 2
    budget_alerts_send(now=dt.datetime(2027, 1, 4, 7, tzinfo=dt.UTC))
    assert len(mail.outbox) == 4
    assert list(BudgetAlert.objects.order_by("sent_at").values_list("month", flat=True)) == [MONTH, dt.date(2027, 1, 1)]


def test_the_daily_beat_task(people, customer, settings):
    from billing.tasks import send_budget_alerts

    _budget(customer, "100")
    _spend(customer, 95, day=timezone.now().date().replace(day=1))
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "billing.tasks.send_budget_alerts")
    # (tests/test_processes.py checks that every beat task goes to the `periodic` queue.)
    assert send_budget_alerts.name == entry["task"]
    result = send_budget_alerts.apply().get()
    assert result["sent"] == 1 and len(mail.outbox) == 2
