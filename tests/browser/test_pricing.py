"""The Pricing workspace in the browser: a Global admin imports two months of Microsoft's price sheet (a bad file
first: the error beside the field and every bad line, nothing imported), reads the report, searches a meter, opens its
price history chart and compares the two months; a Helpdesk agent reads but sees no import button and gets 403 on the
import page; a French-speaking Billing admin reads the same pages in French (months, decimal commas, the chart).

Screenshots go to the folder PRICING_SCREENSHOTS names (default: a pricing-screenshots folder in the system's
temporary directory), outside the repository."""

import gzip
import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.actors import system_actor
from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from billing.models import PriceList
from billing.pricing import demo_data, services
from conftest import enrol

from .flows import field_error, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SHOTS = Path(os.environ.get("PRICING_SCREENSHOTS") or Path(tempfile.gettempdir()) / "pricing-screenshots")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sheet_bytes(month, market="US", view="azure_consumption"):
    return gzip.decompress((demo_data.MEDIA / f"pricesheet-{market}-{view}-{month}.csv.gz").read_bytes())


def upload(name, content):
    return {"name": name, "mimeType": "text/csv", "buffer": content}


def chart_labels(page, testid):
    """The labels Chart.js drew on the canvas (it keeps its chart on the element: charts.js sets canvas.chart)."""
    canvas = page.get_by_test_id(testid)
    page.wait_for_function("(el) => el.chart && el.chart.data.labels.length > 0", arg=canvas.element_handle())
    return canvas.evaluate("(el) => el.chart.data.labels")


def load(org, months=("202611", "202612")):
    actor = system_actor(org, label="test")
    for month in months:
        services.price_sheet_import(actor=actor, file=sheet_bytes(month), market="US", view="azure_consumption",
                                    month=month, file_name=f"{month}.csv")
        services.fx_rates_import(actor=actor, file=(demo_data.MEDIA / f"fxrates-{month}.csv").read_bytes())


@pytest.mark.browser
@DB
def test_import_two_months_then_search_a_meter_its_history_and_the_comparison(page, make_user):
    admin = make_user(Role.GLOBAL_ADMIN, email="gail@a.example.com", first_name="Gail", last_name="Admin")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))

    # The workspace from the navigation: no list yet, a way to import one.
    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=pricing]").click()
    expect(page).to_have_url(re.compile(r"/pricing/$"))
    expect(page.get_by_test_id("no-list")).to_contain_text("No price list has been imported")
    shot(page, "pricing-01-empty")
    page.get_by_test_id("import-button").click()
    expect(page).to_have_url(re.compile(r"/pricing/imports/price-sheet/"))

    # A file with a bad line: the message beside the file field, the bad line listed, nothing imported.
    lines = sheet_bytes("202611").decode("utf-8-sig").split("\r\n")
    lines[5] = lines[5].replace('"payG-1","US","USD","', '"payG-1","US","USD","abc', 1)
    page.get_by_label("Price sheet (CSV)").set_input_files(upload("bad.csv", "\r\n".join(lines).encode()))
    page.get_by_label("Market").select_option("US")
    page.get_by_label("View").select_option("azure_consumption")
    page.get_by_label("Month", exact=True).fill("2026-11")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(field_error(page, "file")).to_contain_text("Nothing was imported")
    bad = page.get_by_test_id("bad-rows")
    expect(bad).to_contain_text("UnitPrice")
    expect(bad.locator("tbody tr").first).to_contain_text("6")
    shot(page, "pricing-02-bad-file")
    assert not PriceList.objects.exists()

    # November, then December: the report against the previous month.
    page.get_by_label("Price sheet (CSV)").set_input_files(upload("pricesheet-US-202611.csv", sheet_bytes("202611")))
    page.get_by_label("Month", exact=True).fill("2026-11")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/pricing/imports/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("report-first")).to_contain_text("No earlier month of this market and view to compare with")
    page.goto("/pricing/imports/price-sheet/")
    page.get_by_label("Price sheet (CSV)").set_input_files(upload("pricesheet-US-202612.csv", sheet_bytes("202612")))
    page.get_by_label("Market").select_option("US")
    page.get_by_label("Month", exact=True).fill("2026-12")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/pricing/imports/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Price sheet US · Azure plan consumption · December 2026")
    expect(page.get_by_test_id("report-message")).to_contain_text("442 price lines imported")
    expect(page.get_by_test_id("report-title")).to_have_text("Against the previous month (2026-11)")
    changed = int(page.get_by_test_id("changed").inner_text())
    assert changed > 10 and int(page.get_by_test_id("added").inner_text()) > 0
    expect(page.get_by_test_id("report-changed").locator("tbody tr")).to_have_count(changed)
    shot(page, "pricing-03-report")

    # Search a meter of the list: tiered hot blob storage in EU West.
    page.get_by_test_id("open-list").click()
    expect(page.get_by_test_id("list-summary")).to_contain_text("meters in the US list of December 2026")
    page.get_by_label("Search", exact=True).fill("Hot LRS")
    page.get_by_label("Region").fill("EU West")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_test_id("list-summary")).to_contain_text("1 meter of the US list of December 2026 matches the search")
    row = page.locator("[data-meter]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Hot LRS")
    expect(row).to_contain_text("1 GB/Month")
    expect(row.get_by_test_id("tiers").locator("tr")).to_have_count(4)  # a hidden header and three tiers
    shot(page, "pricing-04-search")

    # Its history: the chart drawn with both months, the table of months.
    row.get_by_role("link", name=re.compile("Price history")).click()
    expect(page).to_have_url(re.compile(r"/pricing/meters/"))
    expect(page.get_by_test_id("meter-title")).to_have_text("Hot LRS - EU West")
    assert chart_labels(page, "history-chart") == ["Nov 2026", "Dec 2026"]
    expect(page.get_by_test_id("history-table")).to_contain_text("November 2026")
    shot(page, "pricing-05-history")

    # Compare the months: new, removed, changed; the largest increase first, then the largest decrease first.
    page.get_by_role("link", name="Compare months").click()
    expect(page.get_by_test_id("compare-title")).to_have_text("What changed from November 2026 to December 2026")
    expect(page.get_by_test_id("count-changed")).to_contain_text(str(changed))
    percents = page.get_by_test_id("change-percent")
    expect(percents.first).to_contain_text("+")
    page.get_by_test_id("sort-change").click()
    expect(page).to_have_url(re.compile(r"order=change"))
    expect(percents.first).to_contain_text("−")
    page.get_by_test_id("count-added").click()
    expect(page.locator("[data-change=changed]")).to_have_count(0)
    expect(page.locator("[data-change=added]").first).to_contain_text("D2 v6")
    shot(page, "pricing-06-compare")
    assert page.console_errors == [] or all("status of 400" in e for e in page.console_errors)


@pytest.mark.browser
@DB
def test_a_helpdesk_agent_reads_but_does_not_import(page, make_user, org):
    load(org)
    agent = make_user(Role.HELPDESK_AGENT, email="hana@a.example.com")
    sign_in_with_mfa(page, agent.email, PASSWORD, enrol(agent))
    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=pricing]").click()
    expect(page.get_by_test_id("list-summary")).to_contain_text("December 2026")
    expect(page.get_by_test_id("import-button")).to_have_count(0)
    page.get_by_role("link", name="Exchange rates").click()
    expect(page.get_by_test_id("fx-import-button")).to_have_count(0)
    expect(page.locator("[data-currency=GBP]")).to_contain_text("1.2803391")
    assert len(chart_labels(page, "fx-chart")) == 2
    shot(page, "pricing-07-exchange-rates")
    page.get_by_role("link", name="Downloads").click()
    with page.expect_download() as download:
        page.locator("[data-list=US-azure_consumption-202612]").get_by_role("link").click()
    assert download.value.suggested_filename == "pricesheet-US-azure_consumption-202612.csv"
    shot(page, "pricing-08-downloads")
    response = page.goto("/pricing/imports/price-sheet/")
    assert response.status == 403
    expect(page.get_by_test_id("forbidden-reason")).to_contain_text("Global admin")
    assert [e for e in page.console_errors if "status of 403" not in e] == []


@pytest.mark.browser
@DB
def test_a_french_billing_admin_reads_the_pricing_pages_in_french(page, make_user, org):
    load(org)
    admin = make_user(Role.BILLING_ADMIN, email="bea@a.example.com", language="fr")
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))
    nav = page.get_by_role("navigation").locator("[data-workspace=pricing]")
    expect(nav).to_have_text("Tarification")
    nav.click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.locator("#q").fill("Hot LRS")
    page.locator("#region").fill("EU West")
    page.locator("[data-testid=search-form] [type=submit]").click()
    row = page.locator("[data-meter]")
    expect(row).to_have_count(1)
    expect(page.get_by_test_id("list-summary")).to_contain_text("décembre 2026")
    expect(row.get_by_test_id("tiers")).to_contain_text(re.compile(r"0,0\d+"))  # decimal commas
    shot(page, "pricing-09-fr-list")
    row.locator("a[href*='/pricing/meters/']").click()
    assert chart_labels(page, "history-chart") == ["nov. 2026", "déc. 2026"]
    expect(page.get_by_test_id("history-table")).to_contain_text("novembre 2026")
    shot(page, "pricing-10-fr-history")
    page.goto("/pricing/compare/")
    expect(page.get_by_test_id("compare-title")).to_contain_text("novembre 2026")
    expect(page.get_by_test_id("change-percent").first).to_contain_text(re.compile(r"\+\d+(,\d+)? %"))
    shot(page, "pricing-11-fr-compare")
    assert page.console_errors == []
