"""The Azure plan catalog: a Sales agent opens the Azure plan workspace and finds the Azure plan sold in
their country, looks up where the Azure plan is available, searches a country, and compares the
legacy Azure offer with the Azure plan."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.models import Country
from accounts.tests.factories import PASSWORD, OrganisationFactory
from conftest import enrol

from .flows import screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.browser
@DB
def test_sales_agent_browses_the_azure_plan_catalog(page, make_user):
    partner = OrganisationFactory(name="Contoso France", country=Country.objects.get(code="FR"))
    agent = make_user(Role.SALES_AGENT, organisation=partner, email="sam@contoso.example.com", first_name="Sam",
                      last_name="Seller")
    sign_in_with_mfa(page, agent.email, PASSWORD, enrol(agent))

    # The Azure plan workspace is the catalog of the partner's own country.
    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=azure_plan]").click()
    expect(page).to_have_url(re.compile(r"/azure-plan/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Azure plan")
    expect(page.get_by_label("Customer country or region")).to_have_value("FR")
    expect(page.get_by_test_id("catalog-intro")).to_have_text("What you can sell to customers in France.")
    plan = page.locator("[data-product=DZH318Z0BPS6]")
    expect(plan).to_contain_text("Microsoft Azure plan")
    expect(plan.locator("[data-sku='0001']")).to_contain_text("EUR")
    expect(plan.locator("[data-sku='0001']")).to_contain_text("Microsoft Customer Agreement")
    expect(plan.get_by_test_id("purchasable")).to_have_text("Available to buy")
    legacy = page.locator("[data-product='9DEA7946-EC2C-441E-9FFD-E3B275F7E838']")
    expect(legacy.get_by_test_id("purchasable")).to_have_text("No longer sold")
    screenshot(page, "flow-catalog")
    assert page.console_errors == []

    # Another country of the partner's market.
    page.get_by_label("Customer country or region").select_option("DE")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/azure-plan/\?country=DE$"))
    expect(page.get_by_test_id("catalog-intro")).to_have_text("What you can sell to customers in Germany.")
    expect(page.locator("[data-product=DZH318Z0BPS6] [data-sku='0001']")).to_contain_text("EUR")

    # Where is the Azure plan available: grouped by region, the partner's market first, searchable.
    page.get_by_role("link", name="Where is the Azure plan available").click()
    expect(page).to_have_url(re.compile(r"/azure-plan/availability/$"))
    expect(page.get_by_test_id("not-sold")).to_contain_text("China")
    first_region = page.locator("[data-region]").first
    expect(first_region).to_contain_text("Europe")
    expect(first_region).to_contain_text("Your market")
    expect(page.locator("[data-country=US]")).to_contain_text("DZH318Z0BML6")
    screenshot(page, "flow-catalog-availability")
    page.get_by_role("searchbox", name="Country or region").fill("norw")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/azure-plan/availability/\?q=norw$"))
    expect(page.locator("[data-country]")).to_have_count(1)
    expect(page.locator("[data-country=NO]")).to_contain_text("Norway")
    expect(page.locator("[data-country=NO]")).to_contain_text("NOK")
    expect(page.get_by_role("status").filter(has_text="matches")).to_have_text("1 country or region matches “norw”.")
    screenshot(page, "flow-catalog-availability-search")
    page.get_by_role("searchbox", name="Country or region").fill("china")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("availability-empty")).to_be_visible()
    page.get_by_role("link", name="Show all").click()
    expect(page.locator("[data-country=NO]")).to_be_visible()

    # Compare Azure offers.
    page.get_by_role("link", name="Compare Azure offers").click()
    expect(page).to_have_url(re.compile(r"/azure-plan/compare/$"))
    table = page.get_by_test_id("comparison")
    expect(table.get_by_role("columnheader", name="Legacy Azure offer (MS-AZR-0145P)")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Azure plan (MS-AZR-0017G)")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^Billing period"))).to_contain_text("Calendar month")
    expect(table.get_by_role("row", name=re.compile("^Can be bought"))).to_contain_text("transition")
    screenshot(page, "flow-catalog-compare")
    assert page.console_errors == []
