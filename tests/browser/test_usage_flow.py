"""Issue 12 end to end, as a partner's Global admin lives it: a direct-bill partner in France (billing in EUR) with a
customer whose Azure plan has two Azure subscriptions, the demo's consumption price lists and exchange rates of
November and December, and the customer's removal of the partner's Owner assignment from "Development" on
15 December at noon. The admin imports the generated daily rated usage file (billing/usage/generator.py: November in
full, December to the 19th) on Billing > Usage import, watches the job's progress bar finish, reads the report and
follows its link to the customer's Spend page, checks the figures against what rating wrote (to the cent), sets a
budget, and follows the Azure subscription's link to its page, where the PEC calendar shows the 15th as the first day
without partner earned credit.

The clock is moved to 20 December 2026 (time_machine, ticking). Screenshots go to the folder USAGE_FLOW_SCREENSHOTS
names (default: the system's temporary directory), as e2e-*.png."""

import datetime as dt
import os
import re
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db.models import Sum
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.models import Country
from accounts.tests.factories import PASSWORD
from billing.models import SpendingBudget, UsageRecord
from billing.rating.page_selectors import forecast_amount
from billing.tests.factories_usagedata import demo_consumption_lists, plan_created_on
from billing.usage.simulate import remove_owner_mid_month, simulate_usage
from conftest import enrol
from customers.tests.factories import CustomerFactory

from .flows import field_error, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SHOTS = Path(os.environ.get("USAGE_FLOW_SCREENSHOTS") or tempfile.gettempdir())
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
DEC1, DEC19 = dt.date(2026, 12, 1), dt.date(2026, 12, 19)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"e2e-{name}.png"), full_page=True)


def euros(text):
    """A figure the page shows ("1,234.56 EUR") as a Decimal."""
    return Decimal(re.sub(r"[^0-9.\-]", "", text.replace("EUR", "")))


@pytest.fixture(autouse=True)
def _december():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.mark.browser
@DB
def test_import_usage_read_the_spend_set_a_budget_and_see_pec_stop(page, make_user, org, tmp_path):
    org.country = Country.objects.get(code="FR")
    org.partner_id = "4100992"
    org.save(update_fields=["country", "partner_id"])
    customer = CustomerFactory(organisation=org, company_name="Fabrikam", domain="fabrikam-example.onmicrosoft.com",
                               country_id="FR")
    plan = plan_created_on(customer, ("Production", "Development"))
    development = plan.azure_subscriptions.get(friendly_name="Development")
    demo_consumption_lists(markets=("FR",), later=DEC1)
    assert "removed the Owner assignment on 2026-12-15 12:00" in remove_owner_mid_month(NOW.date())
    [generated] = simulate_usage(organisations=[org], today=NOW.date(), out_dir=str(tmp_path),
                                 remove_owner=False).files
    admin = make_user(Role.GLOBAL_ADMIN, email="gia@a.example.com", first_name="Gia", last_name="Admin")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))

    # Billing > Usage import: the file, the job's progress bar, the report.
    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=billing]").click()
    page.get_by_role("link", name="Usage import").click()
    expect(page).to_have_url(re.compile(r"/billing/usage/imports/$"))
    page.get_by_label("Usage file").set_input_files(generated["path"])
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/billing/usage/imports/[0-9a-f-]{36}/$"))
    bar = page.get_by_test_id("usage-import-bar").locator(".progress-bar")
    expect(bar).to_have_attribute("data-percent", "100", timeout=60_000)
    expect(page.get_by_test_id("usage-import-status")).to_contain_text("Imported")
    expect(page.get_by_test_id("rows-added")).to_have_text(str(generated["lines"]))
    expect(page.get_by_test_id("rows-unmatched")).to_have_text("0")
    rows = UsageRecord.objects.filter(customer=customer)
    assert rows.count() == generated["lines"] and not rows.filter(rated_at__isnull=True).exists()
    shot(page, "01-import-report")

    # The report names the customer it touched and leads to its Spend page.
    touched = page.get_by_test_id("usage-import-customers")
    expect(touched).to_contain_text("Fabrikam")
    touched.get_by_role("link", name="Fabrikam").click()
    expect(page).to_have_url(re.compile(rf"/spend/{customer.tenant_id}/$"))
    expect(page.get_by_test_id("spend-title")).to_contain_text("Fabrikam")

    # The figures are what rating wrote, to the cent.
    december = rows.filter(usage_date__gte=DEC1, usage_date__lte=DEC19)
    month_to_date = december.aggregate(s=Sum("billing_pre_tax_total"))["s"]
    assert month_to_date > 0 and set(december.values_list("billing_currency", flat=True)) == {"EUR"}
    expect(page.get_by_test_id("month-to-date")).to_have_text(re.compile(r"EUR$"))
    assert euros(page.get_by_test_id("month-to-date").inner_text()) == month_to_date
    by_day = {row["usage_date"]: row["s"] for row in
              december.values("usage_date").annotate(s=Sum("billing_pre_tax_total")).order_by()}
    window = sum((by_day[DEC19 - dt.timedelta(days=n)] for n in range(7)), Decimal(0))
    expected_forecast = month_to_date + window * 12 / 7  # 12 days left after the 19th
    assert euros(page.get_by_test_id("forecast").inner_text()) == expected_forecast.quantize(Decimal("0.01"))
    assert forecast_amount(month_to_date, window, window_days=7, days_left=12) == expected_forecast
    canvas = page.get_by_test_id("daily-chart")
    page.wait_for_function("(el) => el.chart && el.chart.data.datasets.length > 0", arg=canvas.element_handle())
    daily = canvas.evaluate("(el) => el.chart.data.datasets.map((d) => d.data)")
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in daily[0][:19]] == [by_day[DEC1 + dt.timedelta(days=n)]
                                                                               for n in range(19)]
    categories = page.get_by_test_id("category-chart")
    page.wait_for_function("(el) => el.chart && el.chart.data.labels.length > 0", arg=categories.element_handle())
    assert "Virtual Machines" in categories.evaluate("(el) => el.chart.data.labels")
    subscriptions = page.get_by_test_id("subscriptions")
    dev_total = december.filter(azure_subscription=development).aggregate(s=Sum("billing_pre_tax_total"))["s"]
    expect(subscriptions.locator(f"[data-subscription='{development.subscription_id}'] tr").first).to_contain_text(
        f"{dev_total:,.2f}")
    shot(page, "02-spend")

    # A budget: a bad one is refused beside the field, a good one shows on the page.
    page.get_by_label("Monthly budget").fill("-5")
    page.get_by_role("button", name="Save the budget").click()
    expect(field_error(page, "amount")).to_be_visible()
    assert not SpendingBudget.objects.filter(customer=customer).exists()
    budget = (month_to_date * 2).quantize(Decimal("1"))
    page.get_by_label("Monthly budget").fill(str(budget))
    page.get_by_role("button", name="Save the budget").click()
    expect(page.get_by_test_id("budget")).to_have_text(f"{budget:,.2f} EUR")
    percent = (month_to_date * 100 / budget).quantize(Decimal("0.1"))
    expect(page.get_by_test_id("percent")).to_have_text(f"{percent} %")
    assert SpendingBudget.objects.get(customer=customer).amount == budget
    shot(page, "03-spend-budget")

    # The customer page's "Spend this month" section says the same and leads back to the Spend page.
    page.get_by_role("link", name="Customer page").click()
    expect(page.get_by_test_id("section-spend")).to_have_text(f"{month_to_date:,.2f} EUR")
    expect(page.get_by_test_id("section-budget")).to_contain_text(f"{budget:,.2f} EUR")
    page.get_by_test_id("spend-section").scroll_into_view_if_needed()
    shot(page, "04-customer-section")
    page.get_by_test_id("spend-section").get_by_test_id("spend-link").click()

    # From the Spend page to the Azure subscription's PEC calendar: eligible until the 14th, not from the 15th.
    page.get_by_test_id("subscriptions").get_by_role("link", name="Development").click()
    expect(page).to_have_url(re.compile(rf"/customers/azure-subscriptions/{development.subscription_id}/"))
    calendar = page.get_by_test_id("pec-calendar")
    expect(calendar.get_by_test_id("pec-month")).to_have_text("December 2026")
    expect(calendar.get_by_test_id("pec-day-2026-12-14")).to_have_attribute("data-state", "eligible")
    expect(calendar.get_by_test_id("pec-day-2026-12-15")).to_have_attribute("data-state", "not-eligible")
    expect(calendar.get_by_test_id("pec-day-2026-12-15")).to_have_attribute(
        "title", "A PEC-eligible role was held for part of the day only")
    expect(calendar.get_by_test_id("pec-day-2026-12-16")).to_have_attribute("data-state", "not-eligible")
    calendar.scroll_into_view_if_needed()
    shot(page, "05-pec-calendar")
    # What rating wrote agrees: Development's virtual machines had PEC on the 14th, none from the 15th.
    dev_pec = (UsageRecord.objects.filter(azure_subscription=development, meter_category="Virtual Machines")
               .exclude(meter_subcategory__icontains="spot"))
    assert dev_pec.filter(usage_date=dt.date(2026, 12, 14), pec_percentage__gt=0).exists()
    assert not dev_pec.filter(usage_date__gte=dt.date(2026, 12, 15), pec_percentage__gt=0).exists()
    assert page.console_errors == [] or all("status of 400" in e for e in page.console_errors)
