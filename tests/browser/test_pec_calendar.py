"""The PEC calendar on the Azure subscription page: an Admin agent opens a subscription whose partner's Owner role
was removed mid-August, reads the days (eligible, not, and why on hover), moves between months, and sees the day
Microsoft gave no PEC that the partner is owed."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from billing.rating.services import rate_usage
from billing.tests.factories_rating import meter, price_list, usage, usage_rows, world
from conftest import enrol

from .flows import screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.browser
@DB
def test_pec_calendar_month_navigation_and_mismatch(new_page, make_user, org):
    agent = make_user(Role.ADMIN_AGENT, email="ada@a.example.com")
    w = world(organisation=org)
    w.sub.role_assignments.update(removed_at=datetime(2026, 8, 20, 15, tzinfo=UTC))
    meter(price_list(), price="2")
    usage_rows([usage(w.sub, date(2026, 8, 12), "100", ms_pec_percentage=Decimal(0)),
                usage(w.sub, date(2026, 8, 25), "10", ms_pec_percentage=Decimal(0))])
    rate_usage(organisation_id=org.pk, months=[date(2026, 8, 1)])

    page = new_page()
    sign_in_with_mfa(page, agent.email, PASSWORD, enrol(agent))
    page.goto(f"/customers/azure-subscriptions/{w.sub.subscription_id}/?pec_month=2026-08")
    calendar = page.get_by_test_id("pec-calendar")
    expect(calendar.get_by_test_id("pec-month")).to_have_text("August 2026")
    expect(calendar.get_by_test_id("pec-summary")).to_contain_text("19 days of 31 with partner earned credit")
    eligible = calendar.get_by_test_id("pec-day-2026-08-19")
    expect(eligible).to_have_attribute("data-state", "eligible")
    expect(eligible).to_have_attribute("title", "A PEC-eligible role was held all day · Owner")
    removed = calendar.get_by_test_id("pec-day-2026-08-20")
    expect(removed).to_have_attribute("data-state", "not-eligible")
    expect(removed).to_have_attribute("title", "A PEC-eligible role was held for part of the day only")
    expect(calendar.get_by_test_id("pec-day-2026-08-21")).to_have_attribute(
        "title", "No PEC-eligible role held by the partner or its reseller")
    expect(calendar.get_by_test_id("pec-legend")).to_contain_text("Not eligible (why: below the calendar)")
    removed.hover()
    # Microsoft gave no PEC on the 12th, a day the partner's Owner held all day: 100 x 2.00 x 15 % is owed.
    expect(calendar.get_by_test_id("pec-mismatches")).to_contain_text("12")
    expect(calendar.get_by_test_id("pec-owed")).to_have_text("Owed to you: 30.00 USD (30.00 USD)")
    screenshot(page, "pec-calendar-01-august")

    calendar.get_by_test_id("pec-next").click()
    expect(page.get_by_test_id("pec-month")).to_have_text("September 2026")
    expect(page.get_by_test_id("pec-day-2026-09-01")).to_have_attribute("data-state", "not-eligible")
    expect(page.get_by_test_id("pec-no-mismatch")).to_be_visible()
    page.get_by_test_id("pec-previous").click()
    page.get_by_test_id("pec-previous").click()
    expect(page.get_by_test_id("pec-month")).to_have_text("July 2026")
    expect(page.get_by_test_id("pec-day-2026-07-31")).to_have_attribute("data-state", "eligible")
    screenshot(page, "pec-calendar-02-july")
    assert page.console_errors == []
