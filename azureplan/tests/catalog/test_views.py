"""The Azure plan workspace pages: the catalog, where the Azure plan is sold, Compare Azure offers."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from accounts.models import Country
from accounts.tests.factories import OrganisationFactory
from azureplan.models import Availability
from core.testing import page_url

pytestmark = pytest.mark.django_db
PAGES = ("catalog", "catalog_availability", "catalog_compare")


def html(response):
    return response.content.decode()


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))


@pytest.fixture
def agent(make_user):
    return make_user(Role.SALES_AGENT, email="agent@a.example.com")


@pytest.fixture
def page(portal_client, agent):
    return portal_client(agent)


def test_nav_points_at_the_catalog_and_the_placeholder_is_gone(page):
    response = page.get(reverse("accounts:dashboard"))
    assert f'href="{reverse("azureplan:catalog")}" data-workspace="azure_plan"' in html(response)
    assert page.get("/workspaces/azure_plan/").status_code == 404


def test_catalog_of_the_partners_country(page):
    response = page.get(reverse("azureplan:catalog"))
    assert response.status_code == 200
    assert response.context["country"].code == "US"
    body = text(response)
    assert "What you can sell to customers in United States." in body
    assert "Microsoft Azure plan" in body and "DZH318Z0BPS6:0001:DZH318Z0BML6" in body
    assert "Microsoft Customer Agreement" in body and "One-time" in body and "USD" in body
    plan = re.search(r'data-product="DZH318Z0BPS6".*?</table>', html(response), re.S).group(0)
    legacy = re.search(r'data-product="9DEA7946-EC2C-441E-9FFD-E3B275F7E838".*?</table>', html(response), re.S).group(0)
    assert "Available to buy" in plan and "No longer sold" not in plan
    assert "No longer sold" in legacy and "Available to buy" not in legacy
    assert "Microsoft Cloud Agreement" in legacy and "Monthly" in legacy
    # the picker offers the partner's market only
    assert [c.code for c in response.context["countries"]] == sorted(
        Country.objects.filter(region_id="united_states").values_list("code", flat=True),
        key=lambda code: Country.objects.get(code=code).name)


def test_country_picker_and_outside_the_market(page):
    guam = page.get(reverse("azureplan:catalog"), {"country": "gu"})
    assert guam.context["country"].code == "GU" and "customers in Guam" in text(guam)
    outside = page.get(reverse("azureplan:catalog"), {"country": "FR"})
    assert outside.context["country"].code == "US" and outside.context["outside"]
    assert "“FR” is not a country of your market" in text(outside)


def test_a_market_where_nothing_is_sold(portal_client, make_user):
    chinese = OrganisationFactory(country=Country.objects.get(code="CN"))
    user = make_user(Role.SALES_AGENT, organisation=chinese, email="cn@c.example.com")
    response = portal_client(user).get(reverse("azureplan:catalog"))
    assert response.status_code == 200 and response.context["products"] == []
    assert "Nothing from this catalog is sold to customers in China." in text(response)


def test_where_the_azure_plan_is_available(page):
    response = page.get(reverse("azureplan:catalog_availability"))
    assert response.status_code == 200
    body = text(response)
    total = Availability.objects.filter(sku__product_id="DZH318Z0BPS6").count()
    assert f"sold to customers in {total} countries and regions" in body
    assert "Not sold in: China." in body and "21Vianet" in body
    groups = response.context["groups"]
    assert groups[0][0].code == "united_states" and "Your market" in html(response)  # own market first
    assert sum(len(rows) for _region, rows in groups) == total
    us = re.search(r'<tr data-country="US">.*?</tr>', html(response), re.S).group(0)
    assert "United States" in us and "USD" in us and "DZH318Z0BML6" in us
    fr = re.search(r'<tr data-country="FR">.*?</tr>', html(response), re.S).group(0)
    assert "EUR" in fr


def test_availability_search(page):
    response = page.get(reverse("azureplan:catalog_availability"), {"q": "norw"})
    assert [a.country_id for _region, rows in response.context["groups"] for a in rows] == ["NO"]
    assert "1 country or region matches “norw”." in text(response) and "NOK" in html(response)
    none = page.get(reverse("azureplan:catalog_availability"), {"q": "china"})
    assert none.context["groups"] == []
    assert "not sold in any country or region matching “china”" in text(none)


def test_compare_azure_offers(page):
    response = page.get(reverse("azureplan:catalog_compare"))
    assert response.status_code == 200
    body = text(response)
    assert "Legacy Azure offer (MS-AZR-0145P)" in body and "Azure plan (MS-AZR-0017G)" in body
    for aspect in ("Ordering", "Billing period", "Invoice", "Pricing", "Partner margin", "Reconciliation",
                   "Reserved instances", "Spending budget"):
        assert aspect in body, aspect
    assert "Calendar month" in body and "“G” invoice, by the 8th of the month" in body
    assert "Microsoft Cloud Agreement" in body and "Microsoft Customer Agreement" in body
    assert "No: customers who have it move to the Azure plan with a transition" in body


def test_pages_in_french(portal_client, make_user):
    user = make_user(Role.SALES_AGENT, email="fr@a.example.com", language="fr")
    client = portal_client(user)
    compare = client.get(reverse("azureplan:catalog_compare"))
    assert "Mois civil" in html(compare)
    availability = client.get(reverse("azureplan:catalog_availability"), {"q": "allem"})
    assert "Allemagne" in html(availability)


@pytest.mark.parametrize("name", PAGES)
def test_roles(portal_client, make_user, name):
    for role in (Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT):
        assert portal_client(make_user(role)).get(page_url(name)).status_code == 200, role
    for role in (Role.BILLING_ADMIN, Role.HELPDESK_AGENT, Role.USER_MANAGEMENT_ADMIN):
        response = portal_client(make_user(role)).get(page_url(name))
        assert response.status_code == 403, role
        assert "Global admin, Admin agent, Sales agent" in html(response)


@pytest.mark.parametrize("name", PAGES)
def test_pages_need_a_sign_in_and_refuse_post(client, page, name):
    assert page.post(page_url(name)).status_code == 405
    client.logout()
    assert client.get(page_url(name)).status_code == 302


def test_pages_take_a_fixed_number_of_queries(page):
    for name in PAGES:
        page.get(page_url(name))
        with CaptureQueriesContext(connection) as queries:
            assert page.get(page_url(name)).status_code == 200
        assert len(queries) <= 14, (name, len(queries))
