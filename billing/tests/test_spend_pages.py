"""The Spend pages (Django client): a customer's month of rated usage by day, by meter category, by Azure subscription
and resource group, to the cent; the forecast to the month's end; the partner page's order (over budget first, then
trending over budget), sorting, search and paging; the budget form (Admin agent only; bad input beside the field,
nothing changed); who sees what (Global admin, Admin agent, Billing admin; an indirect reseller only its customers;
a foreign customer 404); empty states; a fixed number of queries whatever the data."""

import datetime as dt
import re
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role, Tier
from accounts.models import Country
from billing.models import SpendingBudget
from billing.rating import page_selectors
from billing.rating.budgets import budget_etag
from core.models import AuditEvent

from .factories_spendpages import daily_usage, insert_usage, set_budget, spend_customer, usage_row

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)  # the 15th: the 1st to the 14th are complete
DEC1, DEC14 = dt.date(2026, 12, 1), dt.date(2026, 12, 14)
NBSP = "\u00a0"


def text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))).replace(NBSP, " ")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def partner(org):
    """A direct-bill partner in France: billed in EUR."""
    org.country = Country.objects.get(code="FR")
    org.save(update_fields=["country"])
    return org


@pytest.fixture
def client_as(make_user, portal_client):
    def make(*roles, **kwargs):
        return portal_client(make_user(*roles, **kwargs))
    return make


@pytest.fixture
def contoso(partner):
    """Two Azure subscriptions, three meter categories, four resource groups in December; plus rows that must not
    count: one not rated yet, one before a legacy cut-over, November's, and another customer's."""
    customer, (prod, dev) = spend_customer(partner, name="Contoso")
    daily_usage(prod, DEC1, DEC14, "10.01", category="Virtual Machines", resource_group="rg-web")
    daily_usage(prod, DEC1, DEC14, "2.50", category="Storage", resource_group="rg-db")
    daily_usage(dev, dt.date(2026, 12, 5), DEC14, "0.33", category="Bandwidth", resource_group="")
    insert_usage([
        usage_row(dev, DEC14, "0", rated=False, resource_group="rg-late"),
        usage_row(dev, DEC1, "99", rated=False, not_rated_reason="legacy"),
        usage_row(prod, dt.date(2026, 11, 30), "7.77"),
    ])
    other, (other_sub,) = spend_customer(partner, name="Fabrikam", subscriptions=1)
    insert_usage([usage_row(other_sub, DEC14, "1000")])
    return customer


# ---------------------------------------------------------------- a customer's month


def test_customer_month_to_the_cent(contoso, client_as):
    response = client_as(Role.BILLING_ADMIN).get(reverse("billing:spend_customer", args=[contoso.tenant_id]))
    assert response.status_code == 200
    data = response.context["data"]
    # 14 x 10.01 + 14 x 2.50 + 10 x 0.33
    assert data.total == Decimal("178.44")
    assert data.currency == "EUR"
    assert [(c.label, c.amount) for c in data.categories] == [
        ("Virtual Machines", Decimal("140.14")), ("Storage", Decimal("35.00")), ("Bandwidth", Decimal("3.30"))]
    assert [(s.name, s.amount, [(g.label, g.amount) for g in s.groups]) for s in data.subscriptions] == [
        ("Production", Decimal("175.14"), [("rg-web", Decimal("140.14")), ("rg-db", Decimal("35.00"))]),
        ("Development", Decimal("3.30"), [("", Decimal("3.30"))]),
    ]
    assert data.days[0] == (DEC1, Decimal("12.51"), Decimal("12.51"))
    assert data.days[4] == (dt.date(2026, 12, 5), Decimal("12.84"), Decimal("62.88"))
    assert data.days[-1] == (DEC14, Decimal("12.84"), Decimal("178.44"))
    assert data.unrated_rows == 1
    # Forecast: the last 7 complete days (8th-14th) average 12.84 a day; 17 days are left: 178.44 + 17 x 12.84.
    assert (data.window.first, data.window.through, data.window.days, data.window.days_left) == (
        dt.date(2026, 12, 8), DEC14, 7, 17)
    assert data.forecast == Decimal("396.72")
    page = text(response)
    assert "178.44 EUR" in page and "396.72 EUR" in page and "140.14" in page and "rg-web" in page
    assert "1 usage line of this month is not rated yet" in page
    assert "estimate" in page


def test_the_forecast_stops_at_the_last_day_the_import_reached(partner, client_as):
    customer, (sub, _dev) = spend_customer(partner, name="Lagging")
    daily_usage(sub, DEC1, dt.date(2026, 12, 3), "1.00")
    daily_usage(sub, dt.date(2026, 12, 4), dt.date(2026, 12, 12), "2.00")  # nothing imported after the 12th
    data = client_as(Role.GLOBAL_ADMIN).get(reverse("billing:spend_customer", args=[customer.tenant_id])).context["data"]
    assert data.total == Decimal("21.00")
    assert (data.window.first, data.window.through, data.window.days_left) == (
        dt.date(2026, 12, 6), dt.date(2026, 12, 12), 19)
    assert data.forecast == Decimal("59.00")  # 21.00 + 19 x 2.00
    # At the start of the month the window is shorter: only the complete days count.
    starting, (new_sub, _d) = spend_customer(partner, name="Starting")
    daily_usage(new_sub, DEC1, dt.date(2026, 12, 3), "1.00")
    early = page_selectors.customer_month(actor=_actor(partner, Role.GLOBAL_ADMIN), customer=starting, month=DEC1,
                                          today=dt.date(2026, 12, 3))
    assert (early.window.first, early.window.through, early.window.days, early.window.days_left) == (
        DEC1, dt.date(2026, 12, 2), 2, 29)
    assert early.total == Decimal("3.00")  # the 3rd is today: its row counts in the month to date already
    assert early.forecast == Decimal("32.00")  # 3.00 + 29 x (2.00 / 2)


def _actor(organisation, *roles):
    from accounts.actors import actor_for_user
    from accounts.tests.factories import UserFactory

    return actor_for_user(UserFactory(organisation=organisation, roles=[r.value for r in roles]), request_id="t")


def test_previous_month_navigation_and_its_total(contoso, client_as):
    client = client_as(Role.ADMIN_AGENT)
    url = reverse("billing:spend_customer", args=[contoso.tenant_id])
    december = client.get(url)
    assert december.context["nav"]["previous"] == "?month=2026-11"
    assert december.context["nav"]["next"] is None
    november = client.get(url, {"month": "2026-11"})
    data = november.context["data"]
    assert data.total == Decimal("7.77") and not data.is_current and data.forecast is None
    assert len(data.days) == 30
    assert november.context["nav"]["next"] == "?month=2026-12"
    assert november.context["nav"]["previous"] is None  # the partner's first month with usage
    assert "Total of November 2026" in text(november)
    # A month outside what there is, or no month at all, shows the current one; never a 500.
    for odd in ("2027-01", "1999-13", "abc", "2026-10", "9" * 40):
        assert client.get(url, {"month": odd}).context["data"].month == DEC1


def test_the_charts_data(contoso, client_as):
    set_budget(contoso, "300")
    response = client_as(Role.GLOBAL_ADMIN).get(reverse("billing:spend_customer", args=[contoso.tenant_id]))
    daily = response.context["daily_chart"]
    assert daily["labels"][0] == "2026-12-01" and daily["labels"][-1] == "2026-12-31"
    bars, cumulative, forecast, budget = daily["series"]
    assert bars["type"] == "bar" and bars["values"][:14][-1] == "12.84" and bars["values"][14:] == [None] * 17
    assert cumulative["values"][13] == "178.44"
    assert forecast["values"][13] == "178.44" and forecast["values"][-1] == "396.72"
    assert forecast["values"][:13] == [None] * 13
    assert budget["values"] == ["300.00"] * 31
    categories = response.context["category_chart"]
    assert categories["labels"] == ["Virtual Machines", "Storage", "Bandwidth"]
    assert categories["series"][0]["values"] == ["140.14", "35.00", "3.30"]
    body = response.content.decode()
    assert 'id="daily-chart-data"' in body and 'data-spend-chart="daily-chart-data"' in body
    assert "js/spend.js" in body and "chart.umd.min.js" in body


def test_empty_states(partner, client_as):
    customer, (sub, _dev) = spend_customer(partner, name="New customer")
    client = client_as(Role.GLOBAL_ADMIN)
    url = reverse("billing:spend_customer", args=[customer.tenant_id])
    page = text(client.get(url))
    assert "No usage recorded this month. Usage appears here the day after it is imported: Billing > Usage import" in page
    insert_usage([usage_row(sub, dt.date(2026, 12, 10), "5", rated=False)])
    response = client.get(url)
    assert "This month's usage is imported but not rated yet." in text(response)
    assert response.context["data"].total == 0


# ---------------------------------------------------------------- the budget


@pytest.mark.parametrize("role,sees_form", [(Role.ADMIN_AGENT, True), (Role.GLOBAL_ADMIN, True),
                                            (Role.BILLING_ADMIN, False)])
def test_only_the_roles_that_set_budgets_see_the_form(contoso, client_as, role, sees_form):
    client = client_as(role)
    body = client.get(reverse("billing:spend_customer", args=[contoso.tenant_id])).content.decode()
    assert ('data-testid="budget-form"' in body) is sees_form
    assert ('data-testid="budget-readonly"' in body) is not sees_form
    response = client.post(reverse("billing:spend_budget", args=[contoso.tenant_id]), {"amount": "10"})
    if sees_form:
        assert response.status_code == 302
        assert SpendingBudget.objects.get(customer=contoso).amount == Decimal("10.00")
    else:
        assert response.status_code == 403
        assert "Admin agent" in text(response)
        assert not SpendingBudget.objects.filter(customer=contoso).exists()


def test_setting_changing_and_clearing_the_budget(contoso, client_as):
    client = client_as(Role.ADMIN_AGENT)
    url = reverse("billing:spend_budget", args=[contoso.tenant_id])
    response = client.post(url, {"amount": "150", "month": "2026-12"})
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:spend_customer", args=[contoso.tenant_id]) + "?month=2026-12#budget"
    budget = SpendingBudget.objects.get(customer=contoso)
    assert (budget.amount, budget.currency, budget.organisation_id) == (Decimal("150.00"), "EUR", contoso.organisation_id)
    page = client.get(reverse("billing:spend_customer", args=[contoso.tenant_id]))
    assert "now 150.00 EUR" in text(page)
    data = page.context["data"]
    assert data.status == "over" and data.percent == Decimal("119.0")  # 178.44 / 150
    client.post(url, {"amount": "1,000.5"})  # grouped thousands as the page writes them
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal("1000.50")
    client.post(url, {"amount": " 200 "})
    assert client.get(reverse("billing:spend_customer", args=[contoso.tenant_id])).context["data"].status == "trending"
    client.post(url, {"amount": ""})
    budget.refresh_from_db()
    assert budget.amount is None and budget.version == 4
    assert budget_etag(contoso, budget)  # the API's etag follows the same row
    events = list(AuditEvent.objects.filter(action="customer.spending_budget_set").order_by("id").values_list("data",
                                                                                                       flat=True))
    assert [(e["from"], e["to"]) for e in events] == [(None, "150.00"), ("150.00", "1000.50"), ("1000.50", "200.00"),
                                                       ("200.00", None)]
    # The customer page's activity says it.
    detail = text(client.get(reverse("customers:customer_detail", args=[contoso.tenant_id])))
    assert "Spending budget changed" in detail and "200.00 → — EUR" in detail


@pytest.mark.parametrize("value,message", [
    ("abc", "Enter a number."),
    ("-5", "greater than or equal to 0"),
    ("12.345", "no more than 2 decimal places"),
    ("1e400", "no more than 20 digits"),
    ("1" * 30, "no more than 20 digits"),
    # A comma is a thousands separator only between groups of three digits; a space is none in English.
    ("12,50", "Use a point for decimals: 12.50."),
    ("1,5", "Use a point for decimals: 1.5."),
    ("1,2500", "Use a point for decimals: 1.2500."),
    ("12,50.00", "a comma only between groups of three digits"),
    ("1,25,000", "a comma only between groups of three digits"),
    (",500", "a comma only between groups of three digits"),
    ("1 000", "without spaces"),
    ("1\u202f000", "without spaces"),
])
def test_bad_budget_input_is_shown_beside_the_field_and_changes_nothing(contoso, client_as, value, message):
    set_budget(contoso, "99")
    client = client_as(Role.ADMIN_AGENT)
    response = client.post(reverse("billing:spend_budget", args=[contoso.tenant_id]), {"amount": value})
    assert response.status_code == 400
    errors = re.findall(r'data-field-error="amount">([^<]*)<', response.content.decode())
    assert errors and message in unescape(errors[0])
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal("99.00")
    assert not AuditEvent.objects.filter(action="customer.spending_budget_set").exists()


@pytest.mark.parametrize("value,saved", [
    ("1,250", "1250.00"), ("1,250.50", "1250.50"), ("1,000,000", "1000000.00"), ("12.50", "12.50"),
    ("1250", "1250.00"), ("0,000", "0.00"),
])
def test_english_amounts_group_thousands_by_a_comma(contoso, client_as, value, saved):
    client = client_as(Role.ADMIN_AGENT)
    response = client.post(reverse("billing:spend_budget", args=[contoso.tenant_id]), {"amount": value})
    assert response.status_code == 302
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal(saved)


@pytest.mark.parametrize("value,saved", [
    ("12,50", "12.50"), ("12.50", "12.50"), ("1 250,50", "1250.50"), ("1\u00a0250,50", "1250.50"),
    ("1\u202f250\u202f000", "1250000.00"), ("1250", "1250.00"),
])
def test_french_amounts_take_a_decimal_comma_and_spaces_between_thousands(contoso, make_user, portal_client, value,
                                                                           saved):
    client = portal_client(make_user(Role.ADMIN_AGENT, language="fr"))
    response = client.post(reverse("billing:spend_budget", args=[contoso.tenant_id]), {"amount": value})
    assert response.status_code == 302
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal(saved)


@pytest.mark.parametrize("value,message", [
    ("12 50", "Groupez les milliers par trois chiffres : 1 250,50."),
    ("1 2500,00", "Groupez les milliers par trois chiffres : 1 250,50."),
    ("1,250.50", "Utilisez une virgule pour les décimales et une espace entre les groupes de trois chiffres : "
                 "1 250,50."),
    ("1.250,50", "Utilisez une virgule pour les décimales et une espace entre les groupes de trois chiffres : "
                 "1 250,50."),
])
def test_french_amounts_badly_grouped_are_refused_beside_the_field(contoso, make_user, portal_client, value, message):
    set_budget(contoso, "99")
    client = portal_client(make_user(Role.ADMIN_AGENT, language="fr"))
    response = client.post(reverse("billing:spend_budget", args=[contoso.tenant_id]), {"amount": value})
    assert response.status_code == 400
    errors = re.findall(r'data-field-error="amount">([^<]*)<', response.content.decode())
    assert errors and unescape(errors[0]).strip() == message
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal("99.00")


# ---------------------------------------------------------------- the partner page


@pytest.fixture
def portfolio(partner):
    """Five customers: over budget, trending over budget, big spender without budget, within budget, no usage."""
    made = {}
    for name, per_day, budget in [("Over Ltd", "10", "100"), ("Trend SA", "10", "200"), ("Big GmbH", "50", None),
                                  ("Calm plc", "1", "500"), ("Quiet BV", None, None)]:
        customer, (sub, _dev) = spend_customer(partner, name=name)
        if per_day:
            daily_usage(sub, DEC1, DEC14, per_day)
        if budget:
            set_budget(customer, budget)
        made[name] = customer
    return made


def names(response):
    return [row.company_name for row in response.context["data"].rows]


def test_partner_page_puts_over_and_trending_over_budget_first(portfolio, client_as):
    response = client_as(Role.BILLING_ADMIN).get(reverse("billing:spend"))
    assert response.status_code == 200
    assert names(response) == ["Over Ltd", "Trend SA", "Big GmbH", "Calm plc", "Quiet BV"]
    rows = {row.company_name: row for row in response.context["data"].rows}
    assert [rows[n].status for n in names(response)] == ["over", "trending", "", "ok", ""]
    over = rows["Over Ltd"]
    assert (over.spend, over.budget, over.percent, over.forecast) == (
        Decimal("140.00"), Decimal("100.00"), Decimal("140.0"), Decimal("310.00"))
    assert rows["Quiet BV"].spend == 0
    data = response.context["data"]
    assert (data.over, data.trending, data.spend_total) == (1, 1, Decimal("994.00"))
    page = text(response)
    assert "994.00 EUR" in page and "Over budget" in page and "Trending over budget" in page


def test_the_api_partner_summary_forecasts_as_the_pages_do(portfolio, partner, client_as, api_client_for, make_user):
    """One forecast (docs/billing.md): a customer that spent nothing in its first week and 10 EUR a day since is
    trending over its 200 EUR budget by the last 7 complete days (70 + 70 / 7 x 17 = 240), not by a linear projection
    of the month to date (70 / 15 x 31 = 144.67): the API's partner summary, the partner page and the customer's page
    all say it is."""
    pace, (sub, _dev) = spend_customer(partner, name="Pace Ltd")
    daily_usage(sub, dt.date(2026, 12, 8), DEC14, "10")
    set_budget(pace, "200")
    page = client_as(Role.GLOBAL_ADMIN).get(reverse("billing:spend")).context["data"]
    rows = {row.company_name: row for row in page.rows}
    assert rows["Pace Ltd"].status == "trending" and rows["Pace Ltd"].forecast == Decimal("240.00")
    customer_page = client_as(Role.GLOBAL_ADMIN).get(reverse("billing:spend_customer", args=[pace.tenant_id]))
    assert customer_page.context["data"].forecast == Decimal("240.00")
    assert customer_page.context["data"].status == "trending"
    body = api_client_for(make_user(Role.BILLING_ADMIN, email="bill@a.example.com")).get("/v1/usagesummary").json()
    assert (body["customersOverBudget"], body["customersTrendingOver"]) == (page.over, page.trending) == (1, 2)


@pytest.mark.parametrize("sort,expected", [
    ("name", ["Big GmbH", "Calm plc", "Over Ltd", "Quiet BV", "Trend SA"]),
    ("-spend", ["Big GmbH", "Over Ltd", "Trend SA", "Calm plc", "Quiet BV"]),
    ("spend", ["Quiet BV", "Calm plc", "Over Ltd", "Trend SA", "Big GmbH"]),
    ("-percent", ["Over Ltd", "Trend SA", "Calm plc", "Big GmbH", "Quiet BV"]),
    ("budget", ["Over Ltd", "Trend SA", "Calm plc", "Big GmbH", "Quiet BV"]),
    ("nonsense", ["Over Ltd", "Trend SA", "Big GmbH", "Calm plc", "Quiet BV"]),
])
def test_partner_page_sorts(portfolio, client_as, sort, expected):
    assert names(client_as(Role.GLOBAL_ADMIN).get(reverse("billing:spend"), {"sort": sort})) == expected


def test_partner_page_search_and_paging(portfolio, client_as, monkeypatch):
    client = client_as(Role.GLOBAL_ADMIN)
    assert names(client.get(reverse("billing:spend"), {"q": "gmbh"})) == ["Big GmbH"]
    assert names(client.get(reverse("billing:spend"), {"q": "%"})) == []
    assert "No customer with an Azure plan matches the search." in text(client.get(reverse("billing:spend"),
                                                                                   {"q": "zzz"}))
    from billing.rating import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    first = client.get(reverse("billing:spend"))
    second = client.get(reverse("billing:spend"), {"page": "2"})
    last = client.get(reverse("billing:spend"), {"page": "999"})
    assert names(first) == ["Over Ltd", "Trend SA"]
    assert names(second) == ["Big GmbH", "Calm plc"]
    assert names(last) == ["Quiet BV"]
    assert first.context["total"] == 5 and "Page 1 of 3" in text(first)
    assert names(client.get(reverse("billing:spend"), {"page": "abc"})) == ["Over Ltd", "Trend SA"]


def test_partner_page_previous_month(portfolio, client_as):
    over = portfolio["Over Ltd"]
    sub = over.azure_plans.get().azure_subscriptions.order_by("pk").first()
    insert_usage([usage_row(sub, dt.date(2026, 11, 20), "123.45")])
    response = client_as(Role.GLOBAL_ADMIN).get(reverse("billing:spend"), {"month": "2026-11"})
    rows = {row.company_name: row for row in response.context["data"].rows}
    assert rows["Over Ltd"].spend == Decimal("123.45") and rows["Over Ltd"].status == "over"
    assert rows["Trend SA"].status == "ok"  # no forecast for a closed month
    assert "Total of November 2026" in text(response)


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("role,allowed", [
    (Role.GLOBAL_ADMIN, True), (Role.ADMIN_AGENT, True), (Role.BILLING_ADMIN, True),
    (Role.USER_MANAGEMENT_ADMIN, False), (Role.SALES_AGENT, False), (Role.HELPDESK_AGENT, False),
])
def test_roles(contoso, client_as, role, allowed):
    client = client_as(role)
    for url in (reverse("billing:spend"), reverse("billing:spend_customer", args=[contoso.tenant_id])):
        response = client.get(url)
        assert response.status_code == (200 if allowed else 403), url
        if not allowed:
            assert "Global admin, Admin agent, Billing admin" in text(response)
    home = client.get(reverse("accounts:settings_account")).content.decode()
    assert ('data-workspace="billing"' in home) is allowed
    assert (f'href="{reverse("billing:spend")}"' in home) is allowed
    customer_page = client.get(reverse("customers:customer_detail", args=[contoso.tenant_id])).content.decode()
    assert ('data-testid="spend-section"' in customer_page) is allowed


def test_customer_page_section(contoso, client_as):
    set_budget(contoso, "150")
    response = client_as(Role.GLOBAL_ADMIN).get(reverse("customers:customer_detail", args=[contoso.tenant_id]))
    page = text(response)
    assert "Spend this month" in page
    assert "178.44 EUR" in page and "150.00 EUR · 119.0 % spent" in page and "Over budget" in page
    assert reverse("billing:spend_customer", args=[contoso.tenant_id]) in response.content.decode()


def test_foreign_customer_is_not_found(contoso, client_as, make_org, make_user, portal_client):
    stranger = portal_client(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=make_org(name="Other")))
    for url in (reverse("billing:spend_customer", args=[contoso.tenant_id]),
                reverse("billing:spend_customer", args=["00000000-0000-0000-0000-000000000000"])):
        assert stranger.get(url).status_code == 404
    assert stranger.post(reverse("billing:spend_budget", args=[contoso.tenant_id]), {"amount": "1"}).status_code == 404
    assert names(stranger.get(reverse("billing:spend"))) == []
    assert not SpendingBudget.objects.exists()


def test_an_indirect_reseller_sees_only_its_customers(make_org, make_user, portal_client):
    fr = Country.objects.get(code="FR")
    provider = make_org(name="Provider", tier=Tier.INDIRECT_PROVIDER, country=fr)
    reseller = make_org(name="Reseller", tier=Tier.INDIRECT_RESELLER, provider=provider, country=fr)
    mine, (my_sub, _d) = spend_customer(provider, name="Reseller's customer", reseller=reseller)
    theirs, (their_sub, _d2) = spend_customer(provider, name="Provider's own customer")
    daily_usage(my_sub, DEC1, DEC14, "3.00")
    daily_usage(their_sub, DEC1, DEC14, "4.00")
    as_reseller = portal_client(make_user(Role.BILLING_ADMIN, organisation=reseller))
    response = as_reseller.get(reverse("billing:spend"))
    assert names(response) == ["Reseller's customer"]
    assert response.context["data"].spend_total == Decimal("42.00") and response.context["data"].currency == "EUR"
    assert as_reseller.get(reverse("billing:spend_customer", args=[theirs.tenant_id])).status_code == 404
    assert as_reseller.get(reverse("billing:spend_customer", args=[mine.tenant_id])).context["data"].total == \
        Decimal("42.00")
    as_provider = portal_client(make_user(Role.BILLING_ADMIN, organisation=provider, email="p@provider.example.com"))
    assert names(as_provider.get(reverse("billing:spend"), {"sort": "name"})) == ["Provider's own customer",
                                                                                 "Reseller's customer"]


# ---------------------------------------------------------------- queries and language


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_data(partner, client_as):
    client = client_as(Role.ADMIN_AGENT)
    small, (sub, _dev) = spend_customer(partner, name="Small")
    daily_usage(sub, DEC1, dt.date(2026, 12, 2), "1")
    set_budget(small, "10")
    small_customer = _queries(client, reverse("billing:spend_customer", args=[small.tenant_id]))
    small_partner = _queries(client, reverse("billing:spend"))
    large, subs = spend_customer(partner, name="Large", subscriptions=5)
    for index, sub in enumerate(subs):
        daily_usage(sub, DEC1, DEC14, "2", category=f"Category {index}", resource_group=f"rg-{index}")
    for n in range(8):
        other, (other_sub, _x) = spend_customer(partner, name=f"More {n}")
        daily_usage(other_sub, DEC1, DEC14, "1")
        set_budget(other, "5")
    assert _queries(client, reverse("billing:spend_customer", args=[large.tenant_id])) == small_customer
    assert _queries(client, reverse("billing:spend")) == small_partner


def test_the_customer_spend_page_in_french(contoso, make_user, portal_client):
    set_budget(contoso, "1500.5")
    client = portal_client(make_user(Role.ADMIN_AGENT, language="fr"))
    response = client.get(reverse("billing:spend_customer", args=[contoso.tenant_id]))
    page = text(response).replace("\u202f", " ")
    assert 'lang="fr"' in response.content.decode()
    for words in ("Dépenses Azure", "Depuis le début du mois", "Prévision à la fin du mois", "estimation",
                  "Par catégorie de compteur", "Par abonnement Azure et groupe de ressources", "Budget mensuel",
                  "178,44 EUR", "396,72 EUR", "1 500,50 EUR", "Dans le budget"):
        assert words in page, words
    bad = client.post(reverse("billing:spend_budget", args=[contoso.tenant_id]), {"amount": "douze"})
    assert bad.status_code == 400 and "Saisissez un nombre." in text(bad)
    assert client.post(reverse("billing:spend_budget", args=[contoso.tenant_id]),
                       {"amount": "2 000,25"}).status_code == 302
    assert SpendingBudget.objects.get(customer=contoso).amount == Decimal("2000.25")


def test_an_azure_subscription_is_linked_only_for_who_may_open_its_page(contoso, client_as):
    """A Billing admin reads a customer's spend but may not open customer pages: the Azure subscriptions are named,
    not linked (the link answered 403); a Global admin gets the link to the PEC calendar. Both see the Billing
    workspace's tabs and the usage pages' own tabs on the usage pages."""
    url = reverse("billing:spend_customer", args=[contoso.tenant_id])
    ba = client_as(Role.BILLING_ADMIN)
    billing_admin = ba.get(url).content.decode()
    assert "Production" in billing_admin and "#pec-calendar" not in billing_admin
    global_admin = client_as(Role.GLOBAL_ADMIN, email="ga-spend@a.example.com").get(url).content.decode()
    assert "#pec-calendar" in global_admin
    imports = ba.get(reverse("billing:usage-import")).content.decode()
    for tab in ('data-tab="invoices"', 'data-tab="payments"', 'href="/billing/usage/unmatched/"'):
        assert tab in imports, tab


def test_a_month_without_spend_or_not_a_month_says_which_month_is_shown(contoso, client_as):
    """?month=xx or a month before the first usage shows this month's figures and says so (it was silent)."""
    client = client_as(Role.BILLING_ADMIN)
    for asked in ("xx", "2025-01"):
        page = unescape(client.get(reverse("billing:spend") + f"?month={asked}").content.decode())
        assert f"There is no spend to show for “{asked}”: these are the figures of December 2026." in page
    assert "There is no spend to show" not in client.get(reverse("billing:spend") + "?month=2026-12").content.decode()
