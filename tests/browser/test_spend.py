"""The Spend pages in the browser: an Admin agent opens the Billing workspace from the navigation, sees the customer
over budget first, opens its Spend page (the daily chart and the meter categories drawn by Chart.js, with data),
types a bad budget and a decimal comma (the message beside the field, nothing changed), sets a budget and sees it on
the page, in the chart and on the partner page, and goes back a month; a French-speaking Billing admin reads the same
pages in French and sees no budget form.

The clock is moved to 15 December 2026 (time_machine, ticking) so the month has 14 complete days. Screenshots go to
the folder SPEND_SCREENSHOTS names (default: the system's temporary directory), as spend-*.png."""

import datetime as dt
import os
import re
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.models import Country
from accounts.tests.factories import PASSWORD
from billing.models import SpendingBudget
from billing.tests.factories_spendpages import daily_usage, insert_usage, set_budget, spend_customer, usage_row
from conftest import enrol

from .flows import field_error, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SHOTS = Path(os.environ.get("SPEND_SCREENSHOTS") or tempfile.gettempdir())
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
DEC1, DEC14 = dt.date(2026, 12, 1), dt.date(2026, 12, 14)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"spend-{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _december():
    with time_machine.travel(NOW, tick=True):
        yield


def estate(org):
    """A French partner (EUR) with three customers: Contoso over its budget, Fabrikam trending over it, Northwind
    without usage yet."""
    org.country = Country.objects.get(code="FR")
    org.save(update_fields=["country"])
    contoso, (prod, dev) = spend_customer(org, name="Contoso", domain="contoso-spend.example.com")
    for index, (category, group, amount) in enumerate([("Virtual Machines", "rg-web", "8.40"),
                                                       ("Storage", "rg-data", "2.15"),
                                                       ("SQL Database", "rg-data", "1.90")]):
        daily_usage(prod if index < 2 else dev, DEC1, DEC14, amount, category=category, resource_group=group)
    insert_usage([usage_row(prod, dt.date(2026, 11, 28), "64.10", category="Virtual Machines")])
    set_budget(contoso, "150")
    fabrikam, (sub, _dev) = spend_customer(org, name="Fabrikam", domain="fabrikam-spend.example.com")
    daily_usage(sub, DEC1, DEC14, "9.00", category="App Service", resource_group="rg-app")
    set_budget(fabrikam, "200")
    northwind, _subs = spend_customer(org, name="Northwind", domain="northwind-spend.example.com")
    return contoso, fabrikam, northwind


def not_400(errors):
    """Console errors but the 400 answer of the refused budget (no CSP violation, no broken script)."""
    return [e for e in errors if "status of 400" not in e]


def chart_data(page, testid):
    """What Chart.js drew on the canvas (spend.js keeps the chart on the element)."""
    canvas = page.get_by_test_id(testid)
    page.wait_for_function("(el) => el.chart && el.chart.data.datasets.length > 0 "
                           "&& el.chart.data.datasets[0].data.some((v) => v > 0)", arg=canvas.element_handle())
    return canvas.evaluate("(el) => ({labels: el.chart.data.labels, type: el.chart.config.type, "
                           "datasets: el.chart.data.datasets.map((d) => ({label: d.label, data: d.data})), "
                           "yMin: el.chart.scales.y ? el.chart.scales.y.min : null})")


@pytest.mark.browser
@DB
def test_admin_agent_finds_the_customer_over_budget_and_sets_a_budget(page, make_user, org):
    contoso, fabrikam, northwind = estate(org)
    agent = make_user(Role.ADMIN_AGENT, email="ada@a.example.com", first_name="Ada", last_name="Agent")
    sign_in_with_mfa(page, agent.email, PASSWORD, enrol(agent))

    # The Billing workspace from the navigation: over budget first, then trending over budget.
    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=billing]").click()
    expect(page).to_have_url(re.compile(r"/spend/$"))
    rows = page.get_by_test_id("spend-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-status", "over")
    expect(rows.nth(0)).to_contain_text("Contoso")
    expect(rows.nth(1)).to_have_attribute("data-status", "trending")
    expect(rows.nth(1)).to_contain_text("Fabrikam")
    expect(rows.nth(2)).to_contain_text("Northwind")
    expect(page.get_by_test_id("over-count")).to_have_text("1")
    expect(page.get_by_test_id("partner-total")).to_contain_text("300.30 EUR")  # 14 x (8.40 + 2.15 + 1.90 + 9.00)
    shot(page, "partner")

    # Search by name, then sort by spend.
    page.get_by_placeholder("Customer name").fill("fabri")
    page.get_by_test_id("search-form").get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Fabrikam")
    page.get_by_role("link", name="Clear the search").click()
    page.locator("a[data-sort=spend]").click()
    expect(rows.nth(0)).to_contain_text("Contoso")  # 174.30 before Fabrikam's 126.00
    expect(rows.nth(2)).to_contain_text("Northwind")

    # The customer's Spend page: the charts are drawn with the month's figures.
    rows.nth(0).get_by_role("link", name="Contoso").click()
    expect(page.get_by_test_id("spend-title")).to_contain_text("Contoso")
    expect(page.get_by_test_id("month-to-date")).to_have_text("174.30 EUR")
    expect(page.get_by_test_id("forecast")).to_have_text("385.95 EUR")  # 174.30 + 17 days x 12.45
    expect(page.get_by_test_id("budget")).to_have_text("150.00 EUR")
    expect(page.locator("[data-status=over]").first).to_be_visible()
    daily = chart_data(page, "daily-chart")
    assert daily["type"] == "bar" and len(daily["labels"]) == 31 and daily["yMin"] == 0
    assert [d["label"] for d in daily["datasets"]] == ["Spend of the day", "Month to date", "Forecast (estimate)",
                                                       "Budget"]
    assert daily["datasets"][0]["data"][0] == 12.45 and daily["datasets"][1]["data"][13] == 174.3
    assert daily["datasets"][3]["data"][0] == 150
    # The bars' scale (right) is drawn in the bars' blue, the lines' (left) in the month to date's colour: a bar is
    # not read against the month-to-date scale.
    axes = page.get_by_test_id("daily-chart").evaluate(
        "(el) => ({bars: el.chart.data.datasets[0].yAxisID, line: el.chart.data.datasets[1].yAxisID, "
        "barColour: el.chart.data.datasets[0].borderColor, daily: el.chart.options.scales.daily.ticks.color, "
        "dailyTitle: el.chart.options.scales.daily.title.color, total: el.chart.options.scales.y.ticks.color, "
        "lineColour: el.chart.data.datasets[1].borderColor})")
    assert axes["bars"] == "daily" and axes["line"] == "y"
    assert axes["daily"] == axes["dailyTitle"] == axes["barColour"] and axes["total"] == axes["lineColour"]
    expect(page.get_by_text("Bars (blue, right axis): each day's spend.")).to_be_visible()
    categories = chart_data(page, "category-chart")
    assert categories["type"] == "doughnut"
    assert categories["labels"] == ["Virtual Machines", "Storage", "SQL Database"]
    subscriptions = page.get_by_test_id("subscriptions")
    expect(subscriptions).to_contain_text("Production")
    expect(subscriptions.locator("[data-resource-group=rg-web]")).to_contain_text("117.60")
    shot(page, "customer")

    # A bad budget: the message beside the field, nothing changed.
    budget_field = page.get_by_label("Monthly budget")
    budget_field.fill("lots")
    page.get_by_role("button", name="Save the budget").click()
    expect(field_error(page, "amount")).to_contain_text("Enter a number.")
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal("150.00")
    # A decimal comma is not read as a thousands separator (12,50 is not 1,250).
    page.get_by_label("Monthly budget").fill("12,50")
    page.get_by_role("button", name="Save the budget").click()
    expect(field_error(page, "amount")).to_have_text("Use a point for decimals: 12.50.")
    expect(page.get_by_test_id("budget")).to_have_text("150.00 EUR")
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal("150.00")
    shot(page, "budget-error")

    # A good one: the page, the chart and the partner page say it.
    page.get_by_label("Monthly budget").fill("400")
    page.get_by_role("button", name="Save the budget").click()
    expect(page.locator(".alert-success")).to_contain_text("now 400.00 EUR")
    expect(page.get_by_test_id("budget")).to_have_text("400.00 EUR")
    expect(page.get_by_test_id("percent")).to_have_text("43.6 %")  # 174.30 / 400
    expect(page.locator("[data-status=ok]").first).to_be_visible()
    assert chart_data(page, "daily-chart")["datasets"][3]["data"][0] == 400
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal("400.00")
    shot(page, "customer-budget-set")

    # November, by the month navigation.
    page.get_by_test_id("month-previous").click()
    expect(page).to_have_url(re.compile(r"month=2026-11"))
    expect(page.get_by_test_id("month-to-date")).to_have_text("64.10 EUR")
    expect(page.get_by_test_id("spend-summary")).to_contain_text("Total of November 2026")

    # Back on the partner page: Contoso is no longer over budget; Fabrikam still trends over.
    page.goto("/spend/")
    expect(rows.nth(0)).to_contain_text("Fabrikam")
    expect(page.locator(f"tr[data-customer='{contoso.tenant_id}']")).to_have_attribute("data-status", "ok")

    # The customer page's Spend section links here; a customer without usage explains why its page is empty.
    page.goto(f"/customers/{contoso.tenant_id}/")
    expect(page.get_by_test_id("section-spend")).to_have_text("174.30 EUR")
    expect(page.get_by_test_id("section-budget")).to_contain_text("400.00 EUR · 43.6 % spent")
    page.get_by_test_id("spend-section").scroll_into_view_if_needed()
    shot(page, "customer-section")
    page.goto(f"/customers/{northwind.tenant_id}/")
    section = page.get_by_test_id("spend-section")
    expect(section).to_contain_text("No usage recorded this month.")
    section.get_by_test_id("spend-link").click()
    expect(page.get_by_test_id("no-usage")).to_contain_text(
        "Usage appears here the day after it is imported: Billing > Usage import")
    shot(page, "customer-empty")
    assert not_400(page.console_errors) == []


@pytest.mark.browser
@DB
def test_a_french_billing_admin_reads_the_spend_pages_in_french(page, make_user, org):
    contoso, _fabrikam, _northwind = estate(org)
    admin = make_user(Role.BILLING_ADMIN, email="bea@a.example.com", language="fr")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))
    nav = page.get_by_role("navigation").locator("[data-workspace=billing]")
    expect(nav).to_have_text("Facturation")
    nav.click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("partner-total")).to_contain_text(re.compile(r"300,30\s+EUR"))
    expect(page.get_by_test_id("spend-table").locator("tbody tr").first).to_contain_text("Budget dépassé")
    shot(page, "partner-fr")
    page.get_by_role("link", name="Contoso").click()
    expect(page.get_by_test_id("month-to-date")).to_contain_text(re.compile(r"174,30\s+EUR"))
    expect(page.get_by_test_id("spend-summary")).to_contain_text("Prévision à la fin du mois")
    daily = chart_data(page, "daily-chart")
    assert daily["labels"][0] == "1 déc."
    assert daily["datasets"][0]["label"] == "Dépenses du jour"
    expect(page.get_by_test_id("budget-readonly")).to_contain_text("un agent administrateur")
    expect(page.get_by_test_id("budget-form")).to_have_count(0)
    shot(page, "customer-fr")
    assert page.console_errors == []
