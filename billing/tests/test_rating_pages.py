"""The PEC calendar on the Azure subscription page, the PEC mismatch listing, and `manage.py rate_usage`."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.choices import Role
from billing.models import UsageRecord
from billing.rating import selectors
from billing.rating.services import rate_usage

from .factories_rating import add_usage, meter, price_list, usage, usage_rows, world

pytestmark = pytest.mark.django_db

AUG = date(2026, 8, 1)


def _url(sub, month=None):
    url = reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id])
    return f"{url}?pec_month={month}" if month else url


@pytest.fixture
def rated(org):
    """An Azure subscription whose partner's Owner was removed on 10 August at 13:00, usage rated, and Microsoft's own
    file saying PEC 0 on the 9th (when we decide 15: owed) and 15 on the 11th (when we decide 0: given)."""
    w = world(organisation=org)
    w.sub.role_assignments.update(removed_at=datetime(2026, 8, 10, 13, tzinfo=UTC))
    meter(price_list(), price="2")
    usage_rows([usage(w.sub, date(2026, 8, 9), "100", ms_pec_percentage=Decimal(0)),
                usage(w.sub, date(2026, 8, 10), "10", ms_pec_percentage=Decimal(0)),
                usage(w.sub, date(2026, 8, 11), "10", ms_pec_percentage=Decimal(15))])
    rate_usage(organisation_id=org.pk, months=[AUG])
    return w


def test_mismatches_by_subscription_with_the_money_owed(rated):
    found = selectors.pec_mismatches(organisation_id=rated.organisation.pk, month=AUG)
    assert [(m["ms_percentage"], m["our_percentage"], m["days"], m["rows"], m["owed"], m["owed_usd"])
            for m in found] == [
        (0, 15, [date(2026, 8, 9)], 1, True, Decimal("30.00")),  # 100 x 2.00 x 15 %
        (15, 0, [date(2026, 8, 11)], 1, False, Decimal("-3.00")),
    ]
    assert found[0]["billing_currency"] == "USD" and found[0]["owed_billing"] == Decimal("30.00")


def test_the_calendar_shows_each_day_with_its_reason_and_the_mismatches(portal_client, make_user, rated):
    client = portal_client(make_user(Role.ADMIN_AGENT))
    page = client.get(_url(rated.sub, "2026-08"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="pec-calendar"' in body and "August 2026" in body
    cell = re.search(r'data-testid="pec-day-2026-08-09" data-state="(\w[\w-]*)" title="([^"]*)"', body)
    assert cell.groups() == ("eligible", "A PEC-eligible role was held all day · Owner")
    cell = re.search(r'data-testid="pec-day-2026-08-10" data-state="([\w-]+)" title="([^"]*)"', body)
    assert cell.groups() == ("not-eligible", "A PEC-eligible role was held for part of the day only")
    assert "9 days of 31 with partner earned credit. Rate: 15 %." in body
    # The reasons in words under the calendar, as runs of days (not only in a tooltip a keyboard or touch cannot read).
    runs = re.search(r'data-testid="pec-not-eligible">(.*?)</ul>', body, re.S).group(1)
    assert "<li>10 August: A PEC-eligible role was held for part of the day only</li>" in runs
    assert re.search(r"<li>11 August to 31 August: [^<]+</li>", runs), runs
    spend = reverse("billing:spend_customer", args=[rated.sub.plan.customer.tenant_id]) + "?month=2026-08"
    assert f'href="{spend}" data-testid="pec-spend-link"' in body
    assert 'href="?pec_month=2026-07#pec-calendar"' in body and 'href="?pec_month=2026-09#pec-calendar"' in body
    assert "Owed to you: 30.00 USD (30.00 USD)" in body
    assert "Given, not decided by us: -3.00 USD" in body


def test_a_month_without_rating_shows_the_decision_computed_now(portal_client, make_user, org):
    w = world(organisation=org)
    page = portal_client(make_user(Role.ADMIN_AGENT)).get(_url(w.sub, "2026-07"))
    body = page.content.decode()
    assert 'data-testid="pec-day-2026-07-01" data-state="eligible"' in body
    assert 'data-testid="pec-no-mismatch"' in body


def test_days_to_come_are_not_decided_even_when_rating_wrote_them(rated, make_user, actor_of):
    """Rating decides PEC for the whole month; the calendar shows only the days up to today as decided."""
    actor = actor_of(make_user(Role.ADMIN_AGENT))
    section = selectors.pec_calendar(actor=actor, sub=rated.sub, month=AUG, today=date(2026, 8, 20))
    days = {d["day"]: d for week in section["weeks"] for d in week if d}
    assert days[date(2026, 8, 20)]["future"] is False and days[date(2026, 8, 21)]["future"] is True
    assert days[date(2026, 8, 21)]["eligible"] is None and section["decided_days"] == 20


def test_a_bad_month_shows_this_month_and_says_so(portal_client, make_user, org):
    w = world(organisation=org)
    page = portal_client(make_user(Role.ADMIN_AGENT)).get(_url(w.sub, "2026-13"))
    assert page.status_code == 200
    assert "is not a month (YYYY-MM)" in page.content.decode()


def test_the_calendar_in_french(portal_client, make_user, rated):
    client = portal_client(make_user(Role.ADMIN_AGENT))
    body = client.get(_url(rated.sub, "2026-08"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Crédit gagné par le partenaire, jour par jour" in body and "Mois précédent" in body
    assert "Un rôle éligible au PEC a été détenu toute la journée" in body, body[body.find("pec-day-2026-08-09"):][:300]
    assert "Vous est dû : 30,00 USD" in body


def test_rate_usage_command(org):
    w = world(organisation=org)
    meter(price_list(), price="1")
    add_usage(w.sub, date(2026, 8, 3), "10")
    out = StringIO()
    call_command("rate_usage", "--organisation", org.partner_id, "--month", "2026-08", stdout=out)
    assert "2026-08: 1 rows rated" in out.getvalue()
    assert UsageRecord.objects.get().pricing_pre_tax_total == Decimal("8.50")
    out = StringIO()
    call_command("rate_usage", stdout=out)  # every organisation with unrated usage: none left
    assert "Nothing to rate." in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("rate_usage", "--month", "August")
    with pytest.raises(CommandError, match="No partner"):
        call_command("rate_usage", "--organisation", "0000000")


def test_days_without_pec_are_listed_as_runs_of_one_reason():
    """selectors._not_eligible_runs: a run ends at an eligible day, at a day to come, and where the reason changes."""
    def day(n, eligible, reason="no_role", future=False):
        return {"day": date(2026, 8, n), "eligible": eligible, "future": future, "reason": reason,
                "reason_label": reason}

    days = [day(1, True, "eligible"), day(2, False), day(3, False), day(4, True, "eligible"), day(5, False),
            day(6, False, "partial_day"), day(7, None, "", future=True), day(8, False, "partial_day")]
    assert [(r["first"].day, r["last"].day, r["reason"]) for r in selectors._not_eligible_runs(days)] == [
        (2, 3, "no_role"), (5, 5, "no_role"), (6, 6, "partial_day"), (8, 8, "partial_day")]
