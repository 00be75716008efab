"""The Azure spending routes and the unbilled daily rated usage line items, in Partner Center's shapes (api.md §15,
§16.3, §16.5), against usage rows inserted as rating leaves them (billing/tests/factories_spendapi.py)."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role, Tier
from azureplan.tests.factories import AzureSubscriptionFactory, azure_plan_with_subscriptions
from billing.models import ClosedUsageMonth, SpendingBudget, UsageRecord
from billing.rating import spend
from billing.tests.factories_spendapi import days_of, insert_usage, usage_record
from core.models import AuditEvent
from core.testing import assert_error, load_fixture, request_path
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LINE_ITEMS = ("/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems"
              "&currencycode=USD&period=current")


@pytest.fixture
def month():
    return spend.open_month()


@pytest.fixture
def plan(org):
    return azure_plan_with_subscriptions(CustomerFactory(organisation=org, company_name="Contoso"), n=2)


@pytest.fixture
def subs(plan):
    return list(plan.azure_subscriptions.order_by("id"))


def _get(client, url, token=None):
    headers = {"HTTP_MS_CONTINUATIONTOKEN": token} if token else {}
    return client.get(url, **headers)


def _follow(client, url):
    """Every page of a seek-paged list, following links.next with its MS-ContinuationToken header."""
    pages = []
    response = _get(client, url)
    while True:
        assert response.status_code == 200, response.content[:400]
        body = response.json()
        pages.append(body)
        nxt = body["links"].get("next")
        if not nxt:
            return pages
        assert "seekOperation=Next" in nxt["uri"] and nxt["headers"][0]["key"] == "MS-ContinuationToken"
        assert body["continuationToken"] == nxt["headers"][0]["value"]
        response = _get(client, "/v1" + nxt["uri"], nxt["headers"][0]["value"])


def _sample_item_keys(*names):
    keys = set()
    for name in names:
        for item in load_fixture(name)["items"]:
            keys |= set(item)
    return keys - {"invoiceLineItemTypce"}  # a typo in Microsoft's page-1 sample (its first item spells it right)


# ---------------------------------------------------------------- unbilled daily rated usage line items


def test_three_pages_with_the_continuation_token_return_every_row_once(api, subs, month):
    rows = insert_usage(usage_record(subs[i % 2], day=day, pec=15 if i % 3 == 0 else 0, quantity=str(i + 1))
                        for i, day in enumerate(days_of(month, 7)))
    pages = _follow(api, LINE_ITEMS + "&size=3")
    assert [page["totalCount"] for page in pages] == [3, 3, 1]
    assert "next" not in pages[-1]["links"] and "continuationToken" not in pages[-1]
    items = [item for page in pages for item in page["items"]]
    assert len(items) == 7
    assert sorted(Decimal(str(i["quantity"])) for i in items) == sorted(r.quantity for r in rows)
    assert [i["usageDate"] for i in items] == sorted(i["usageDate"] for i in items)
    assert len({(i["entitlementId"], i["usageDate"], i["resourceUri"]) for i in items}) == 7


def test_items_carry_every_field_of_microsofts_samples(api, subs, month):
    insert_usage([usage_record(subs[0], day=month, pec=15, quantity="24", unit_price="1.28")])
    body = api.get(LINE_ITEMS).json()
    expected = _sample_item_keys("unbilled-daily-rated-usage-page1.response.json",
                                 "unbilled-daily-rated-usage-page2.response.json",
                                 "billed-daily-rated-usage-page1.response.json")
    item = body["items"][0]
    assert expected <= set(item), expected - set(item)
    assert "hasPartnerEarnedCredit" in item  # api.md §16.5 names it; the samples do not print it
    assert set(load_fixture("unbilled-daily-rated-usage-page1.response.json")) <= set(body) | {"links"}
    assert item["attributes"] == {"objectType": "DailyRatedUsageLineItem"}
    assert item["invoiceLineItemType"] == "usage_line_items" and item["invoiceNumber"] == ""
    assert item["hasPartnerEarnedCredit"] is True and item["rateOfPartnerEarnedCredit"] == 0.15
    assert item["creditType"] == "Partner Earned Credit Applied"
    assert item["unitPrice"] == 1.28 and item["effectiveUnitPrice"] == 1.088
    assert item["pricingPreTaxTotal"] == 26.11 and item["billingCurrency"] == "USD"
    assert item["entitlementId"] == str(subs[0].subscription_id)
    assert item["subscriptionId"] == str(subs[0].plan.public_id)
    assert item["customerName"] == "Contoso" and item["mpnId"] == subs[0].plan.customer.organisation.partner_id
    assert item["chargeStartDate"] == f"{month:%Y-%m-%d}T00:00:00Z"


def test_microsofts_request_in_its_own_spelling(api, subs, month):
    insert_usage([usage_record(subs[0], day=month)])
    # Page 2's request: invoiceLineItemType / currencyCode / seekoperation=next in Microsoft's casing, period=previous.
    path = request_path("unbilled-daily-rated-usage-page2.request.http").replace("period=previous", "period=current")
    response = api.get("/v1" + path)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["totalCount"] == 1


def test_has_partner_earned_credit_filters(api, subs, month):
    insert_usage([usage_record(subs[0], day=d, pec=15) for d in days_of(month, 2)]
                 + [usage_record(subs[1], day=d, pec=0) for d in days_of(month, 3)])
    with_pec = api.get(LINE_ITEMS + "&hasPartnerEarnedCredit=true").json()["items"]
    without = api.get(LINE_ITEMS + "&HASPARTNEREARNEDCREDIT=False").json()["items"]
    assert len(with_pec) == 2 and all(i["hasPartnerEarnedCredit"] for i in with_pec)
    assert len(without) == 3 and not any(i["hasPartnerEarnedCredit"] for i in without)
    assert_error(api.get(LINE_ITEMS + "&hasPartnerEarnedCredit=maybe"), 400, 800002, "hasPartnerEarnedCredit")


def test_only_rated_rows_of_the_period_and_currency_are_line_items(api, org, subs, month):
    previous = spend.previous_month(month)
    insert_usage([usage_record(subs[0], day=month), usage_record(subs[0], day=month + spend.dt.timedelta(days=1),
                                                                 rated=False),
                  usage_record(subs[1], day=month, currency="EUR", rate="0.9"),
                  usage_record(subs[1], day=previous)])
    assert api.get(LINE_ITEMS).json()["totalCount"] == 1
    assert api.get(LINE_ITEMS.replace("USD", "eur")).json()["items"][0]["billingCurrency"] == "EUR"
    previous_url = LINE_ITEMS.replace("period=current", "period=previous")
    assert api.get(previous_url).json()["items"][0]["usageDate"].startswith(f"{previous:%Y-%m-%d}")
    # Once the previous month is invoiced nothing of it is unbilled.
    ClosedUsageMonth.objects.create(organisation_id=org.pk, month=previous, closed_at=spend.timezone.now())
    assert api.get(previous_url).json()["totalCount"] == 0


@pytest.mark.parametrize("query,status,code,field", [
    # billinglineitems (the unbilled reconciliation lines) are billing.invoicing's since issue 13; a legacy provider
    # asking for them is still not supported.
    ("provider=office&invoicelineitemtype=billinglineitems&currencycode=USD&period=current", 400, 800042,
     "provider"),
    ("provider=azure&invoicelineitemtype=usagelineitems&currencycode=USD&period=current", 400, 800042, "provider"),
    ("invoicelineitemtype=usagelineitems&currencycode=USD&period=current", 400, 800002, "provider"),
    ("provider=onetime&currencycode=USD&period=current", 400, 800002, "invoicelineitemtype"),
    ("provider=onetime&invoicelineitemtype=usagelineitems&period=current", 400, 800002, "currencycode"),
    ("provider=onetime&invoicelineitemtype=usagelineitems&currencycode=USD&period=last", 400, 800002, "period"),
    ("provider=onetime&invoicelineitemtype=usagelineitems&currencycode=USD&period=current&size=2001", 400, 800002,
     "size"),
])
def test_bad_queries_get_partner_centers_errors(api, query, status, code, field):
    assert_error(api.get("/v1/invoices/unbilled/lineitems?" + query), status, code, field)


def test_a_forged_or_foreign_token_is_400(api, subs, month):
    insert_usage(usage_record(subs[0], day=d) for d in days_of(month, 3))
    token = api.get(LINE_ITEMS + "&size=1").json()["continuationToken"]
    assert_error(_get(api, LINE_ITEMS + "&size=1&seekOperation=Next", "garbage"), 400, 800002,
                 "MS-ContinuationToken")
    assert_error(_get(api, LINE_ITEMS.replace("USD", "EUR") + "&seekOperation=Next", token), 400, 800002,
                 "MS-ContinuationToken")


def test_the_line_items_page_costs_the_same_queries_whatever_its_size(api, subs, month):
    insert_usage(usage_record(subs[i % 2], day=d) for i, d in enumerate(days_of(month, 3)))
    api.get(LINE_ITEMS)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert api.get(LINE_ITEMS).json()["totalCount"] == 3
    other = AzureSubscriptionFactory(plan=azure_plan_with_subscriptions(CustomerFactory(
        organisation=subs[0].plan.customer.organisation), n=0))
    insert_usage(usage_record(sub, day=d, resource_uri=f"/r/{i}") for i, d in enumerate(days_of(month, 20))
                 for sub in (subs[0], subs[1], other))
    with CaptureQueriesContext(connection) as many:
        assert api.get(LINE_ITEMS).json()["totalCount"] == 63
    assert len(many) == len(few)


def test_a_deep_page_is_read_from_the_primary_key_not_sorted(org, global_admin, actor_of, subs, month):
    """The month's partition's key (organisation_id, usage_date, id) supplies the order: with sorting disabled the
    planner still finds a plan without a Sort node, pruned to one partition."""
    from core.api.pagination import _after

    insert_usage(usage_record(subs[i % 2], day=d) for i, d in enumerate(days_of(month, 10)))
    last = UsageRecord.objects.order_by("usage_date", "id")[4]
    rows = spend.unbilled_line_items(actor=actor_of(global_admin), month=month, currency="USD")
    page = rows.filter(_after(spend.LINE_ITEM_ORDERING, [last.usage_date.isoformat(), last.id]))
    page = page.order_by(*spend.LINE_ITEM_ORDERING)[:2001]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = page.explain()
    assert "Sort" not in plan, plan
    assert f"billing_usagerecord_p{month:%Y%m}" in plan
    assert spend.previous_month(month).strftime("p%Y%m") not in plan


# ---------------------------------------------------------------- the CSV download


def test_the_csv_download_has_the_files_columns_and_the_same_sums(api, subs, month):
    insert_usage([usage_record(subs[0], day=d, quantity="3.5", unit_price="0.868", pec=15) for d in days_of(month, 4)]
                 + [usage_record(subs[1], day=month, resource_group="=HYPERLINK(1)", quantity="2")])
    response = api.get(LINE_ITEMS.replace("lineitems?", "lineitems.csv?"), HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert tuple(lines[0]) == spend.DAILY_RATED_USAGE_COLUMNS and len(lines[0]) == 55
    records = [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]
    assert len(records) == 5
    json_items = api.get(LINE_ITEMS).json()["items"]
    assert sum(Decimal(r["BillingPreTaxTotal"]) for r in records) == sum(
        Decimal(str(i["billingPreTaxTotal"])) for i in json_items) == sum(
        UsageRecord.objects.values_list("billing_pre_tax_total", flat=True))
    assert {r["PartnerEarnedCreditPercentage"] for r in records} == {"15", "0"}
    assert "'=HYPERLINK(1)" in {r["ResourceGroup"] for r in records}  # core.csv: never a formula
    assert records[0]["UsageDate"] == f"{month:%Y-%m-%d}" and records[0]["EffectiveUnitPrice"] == "0.7378"
    # The same parameter checks as the JSON list.
    assert_error(api.get("/v1/invoices/unbilled/lineitems.csv?provider=onetime&invoicelineitemtype=billinglineitems"
                         "&currencycode=USD&period=current"), 400, 800042)


# ---------------------------------------------------------------- spend summaries and records


def _spend_rows(subs, month):
    return insert_usage([usage_record(subs[0], day=month, quantity="10", unit_price="2", meter_id="m-1",
                                      meter_category="Storage", resource_uri="/subscriptions/x/resourceGroups/rg/"
                                      "providers/Microsoft.Storage/storageAccounts/st1"),
                         usage_record(subs[0], day=month + spend.dt.timedelta(days=1), quantity="5", unit_price="2",
                                      meter_id="m-1", meter_category="Storage",
                                      resource_uri="/subscriptions/x/resourceGroups/rg/providers/"
                                                   "Microsoft.Storage/storageAccounts/st1"),
                         usage_record(subs[1], day=month, quantity="1", unit_price="3", meter_id="m-2"),
                         usage_record(subs[1], day=month, quantity="7", meter_id="m-3", rated=False),
                         usage_record(subs[1], day=spend.previous_month(month), quantity="100")])


def _keys(name, *, where=None):
    body = load_fixture(name)
    if "items" not in body:
        return set(body)
    keys = set()
    for item in body["items"]:
        if where is None or where(item):
            keys |= set(item)
    return keys


def test_customer_usage_summary(api, plan, subs, month):
    _spend_rows(subs, month)
    SpendingBudget.objects.create(customer=plan.customer, organisation_id=plan.customer.organisation_id,
                                  amount=Decimal("97"), currency="USD", updated_at=spend.timezone.now())
    body = api.get(f"/v1/customers/{plan.customer.tenant_id}/usagesummary").json()
    assert _keys("get-customer-usage-summary-azure-plan.response.json") <= set(body)
    assert body["attributes"]["objectType"] == "CustomerUsageSummary"
    assert body["budget"] == {"amount": 97.0, "attributes": {"objectType": "SpendingBudget"}}
    assert body["totalCost"] == 33.0 and body["usdTotalCost"] == 33.0 and body["currencyCode"] == "USD"
    assert body["unratedRecords"] == 1
    assert body["billingStartDate"].startswith(f"{month:%Y-%m-%d}T00:00:00")


def test_customer_usage_records_of_every_customer(api, org, plan, subs, month):
    _spend_rows(subs, month)
    quiet = azure_plan_with_subscriptions(CustomerFactory(organisation=org, company_name="Alpine"), n=1)
    CustomerFactory(organisation=org, company_name="No plan")
    SpendingBudget.objects.create(customer=plan.customer, organisation_id=org.pk, amount=Decimal("40"),
                                  currency="USD", updated_at=spend.timezone.now())
    body = api.get("/v1/customers/usagerecords").json()
    expected = _keys("list-customer-usage-records.response.json", where=lambda item: item["isUpgraded"])
    assert [item["name"] for item in body["items"]] == ["Alpine", "Contoso"]
    for item in body["items"]:
        assert expected <= set(item), expected - set(item)
    alpine, contoso = body["items"]
    assert alpine["id"] == str(quiet.customer.tenant_id) and alpine["totalCost"] == 0
    assert "amount" not in alpine["budget"] and alpine["percentUsed"] == 0
    assert contoso["totalCost"] == 33.0 and contoso["percentUsed"] == 82.5 and contoso["isUpgraded"] is True


def test_plan_records_summary_meters_and_resources(api, plan, subs, month):
    _spend_rows(subs, month)
    base = f"/v1/customers/{plan.customer.tenant_id}/subscriptions"
    records = api.get(f"{base}/usagerecords").json()
    assert _keys("list-subscription-usage-records-azure-plan.response.json") <= set(records["items"][0])
    assert records["items"][0]["id"] == str(plan.public_id) and records["items"][0]["totalCost"] == 33.0
    assert records["items"][0]["offerId"] == plan.offer_id and records["items"][0]["status"] == "active"

    summary = api.get(f"{base}/{plan.public_id}/usagesummary").json()
    assert _keys("get-subscription-usage-summary-azure-plan.response.json") <= set(summary)
    assert summary["usdTotalCost"] == 33.0 and summary["resourceName"] == plan.friendly_name

    meters = api.get(f"{base}/{plan.public_id}/meterusagerecords").json()["items"]
    assert _keys("list-meter-usage-records-azure-plan.response.json") <= set(meters[0])
    by_meter = {m["meterId"]: m for m in meters}
    assert by_meter["m-1"]["quantityUsed"] == 15.0 and by_meter["m-1"]["totalCost"] == 30.0
    assert by_meter["m-1"]["category"] == "Storage"
    assert by_meter["m-3"]["totalCost"] == 0 and by_meter["m-3"]["unratedRecords"] == 1

    resources = api.get(f"{base}/{plan.public_id}/resourceusagerecords").json()["items"]
    assert _keys("list-resource-usage-records-azure-plan.response.json") <= set(resources[0])
    storage = next(r for r in resources if r["name"] == "st1")
    assert storage["resourceType"] == "Microsoft.Storage" and storage["totalCost"] == 30.0
    assert storage["resourceGroupName"] == "rg-app" and storage["entitlementId"] == str(subs[0].subscription_id)


def test_partner_usage_summary(api, org, plan, subs, month, make_user):
    _spend_rows(subs, month)
    make_user(Role.BILLING_ADMIN, email="billing@a.example.com")
    make_user(Role.ADMIN_AGENT, email="agent@a.example.com")
    SpendingBudget.objects.create(customer=plan.customer, organisation_id=org.pk, amount=Decimal("20"),
                                  currency="USD", updated_at=spend.timezone.now())
    body = api.get("/v1/usagesummary").json()
    assert _keys("get-partner-usage-summary.response.json") <= set(body)
    assert body["customersOverBudget"] == 1 and body["customersWithUsageBasedSubscription"] == 1
    assert body["totalCost"] == 33.0 and body["id"] == str(org.tenant_id)
    assert body["emailsToNotify"] == ["billing@a.example.com", "ga@a.example.com"]


def test_unknown_and_foreign_ids_are_404(api, plan, subs, other_org, month):
    foreign = azure_plan_with_subscriptions(CustomerFactory(organisation=other_org), n=1)
    insert_usage([usage_record(foreign.azure_subscriptions.get(), day=month)])
    for customer_id in (foreign.customer.tenant_id, "not-a-guid", "2b8940db-5089-539c-e757-520ed1d1bc88"):
        for suffix in ("usagesummary", "usagebudget", "subscriptions/usagerecords"):
            assert_error(api.get(f"/v1/customers/{customer_id}/{suffix}"), 404, 1000)
        assert_error(api.patch(f"/v1/customers/{customer_id}/usagebudget", {"amount": 5}, format="json"), 404, 1000)
    base = f"/v1/customers/{plan.customer.tenant_id}/subscriptions"
    for plan_id in (foreign.public_id, "nope"):
        for suffix in ("usagesummary", "meterusagerecords", "resourceusagerecords"):
            assert_error(api.get(f"{base}/{plan_id}/{suffix}"), 404, 20003)
    # Another partner's usage is in none of the lists.
    assert api.get(LINE_ITEMS).json()["totalCount"] == 0
    assert [i["id"] for i in api.get("/v1/customers/usagerecords").json()["items"]] == [str(plan.customer.tenant_id)]
    assert not SpendingBudget.objects.exists()


def test_an_indirect_reseller_sees_only_its_customers_usage(make_org, make_user, api_client_for, month):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    mine = azure_plan_with_subscriptions(CustomerFactory(organisation=provider, reseller=reseller), n=1,
                                         reseller=reseller)
    theirs = azure_plan_with_subscriptions(CustomerFactory(organisation=provider), n=1)
    insert_usage([usage_record(mine.azure_subscriptions.get(), day=month, quantity="2"),
                  usage_record(theirs.azure_subscriptions.get(), day=month, quantity="3")])
    as_reseller = api_client_for(make_user(Role.GLOBAL_ADMIN, organisation=reseller))
    as_provider = api_client_for(make_user(Role.BILLING_ADMIN, organisation=provider))
    assert [i["customerId"] for i in as_reseller.get(LINE_ITEMS).json()["items"]] == [str(mine.customer.tenant_id)]
    assert as_provider.get(LINE_ITEMS).json()["totalCount"] == 2
    assert as_reseller.get("/v1/usagesummary").json()["totalCost"] == 2.0
    assert_error(as_reseller.get(f"/v1/customers/{theirs.customer.tenant_id}/usagesummary"), 404, 1000)
    assert as_reseller.get(f"/v1/customers/{mine.customer.tenant_id}/usagesummary").json()["totalCost"] == 2.0
    # Moved to another reseller: the former one sees nothing of it any more.
    mine.customer.reseller = None
    mine.customer.save(update_fields=["reseller"])
    assert as_reseller.get(LINE_ITEMS).json()["totalCount"] == 0


@pytest.mark.parametrize("role,allowed", [(Role.GLOBAL_ADMIN, True), (Role.ADMIN_AGENT, True),
                                          (Role.BILLING_ADMIN, True), (Role.SALES_AGENT, False),
                                          (Role.HELPDESK_AGENT, False), (Role.USER_MANAGEMENT_ADMIN, False)])
def test_who_reads_spend(api_client_for, make_user, plan, role, allowed):
    client = api_client_for(make_user(role))
    for url in (LINE_ITEMS, "/v1/usagesummary", "/v1/customers/usagerecords",
                f"/v1/customers/{plan.customer.tenant_id}/usagesummary",
                f"/v1/customers/{plan.customer.tenant_id}/usagebudget"):
        response = client.get(url)
        if allowed:
            assert response.status_code == 200, (url, response.content[:200])
        else:
            assert_error(response, 403, 2032)


# ---------------------------------------------------------------- budgets


def test_budget_get_and_patch_as_microsofts_samples(api, plan, samples):
    url = f"/v1/customers/{plan.customer.tenant_id}/usagebudget"
    empty = api.get(url).json()
    assert "amount" not in empty and empty["attributes"]["objectType"] == "SpendingBudget"
    response = api.patch(url, samples("update-customer-usage-budget.request.json"), format="json",
                         HTTP_IF_MATCH=empty["attributes"]["etag"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(samples("update-customer-usage-budget.response.normalized.json")) <= set(body)
    assert body["amount"] == 100 and body["usageSpendingBudget"] == 100 and body["links"]["self"]["method"] == "PATCH"
    got = api.get(url).json()
    assert set(samples("get-customer-usage-budget.response.normalized.json")) <= set(got)
    assert got["amount"] == 100 and got["attributes"]["etag"] == body["attributes"]["etag"] != empty["attributes"][
        "etag"]
    budget = SpendingBudget.objects.get(customer=plan.customer)
    assert budget.amount == Decimal("100.00") and budget.currency == "USD"
    event = AuditEvent.objects.get(action="customer.spending_budget_set")
    assert event.data == {"from": None, "to": "100.00", "currency": "USD"}
    # null removes it
    cleared = api.patch(url, {"amount": None}, format="json").json()
    assert "amount" not in cleared
    assert SpendingBudget.objects.get(customer=plan.customer).amount is None


@pytest.mark.parametrize("body,field", [
    ({"Amount": -1}, "amount"), ({"amount": "100"}, "amount"), ({"amount": True}, "amount"),
    ({"amount": 10.001}, "amount"), ({"amount": [5]}, "amount"), ({"Attributes": {}}, "amount"),
    ({"amount": 1e30}, "amount"), ({"amount": 10000000000000}, "amount"),
])
def test_bad_budgets_are_400_and_change_nothing(api, plan, body, field):
    url = f"/v1/customers/{plan.customer.tenant_id}/usagebudget"
    assert api.patch(url, {"amount": 50}, format="json").status_code == 200
    assert_error(api.patch(url, body, format="json"), 400, 800002, field)
    assert SpendingBudget.objects.get().amount == Decimal("50.00")
    assert AuditEvent.objects.filter(action="customer.spending_budget_set").count() == 1


def test_the_largest_budget_comes_back_to_the_cent(api, plan):
    url = f"/v1/customers/{plan.customer.tenant_id}/usagebudget"
    for amount in ("9999999999999.99", "1234567890123.45", "0.07"):
        sent = json.loads(f'{{"amount": {amount}}}', parse_float=Decimal)
        assert Decimal(str(api.patch(url, sent, format="json").json()["amount"])) == Decimal(amount)
        assert Decimal(str(api.get(url).json()["amount"])) == Decimal(amount)
        assert SpendingBudget.objects.get().amount == Decimal(amount)


def test_a_stale_etag_is_412(api, plan):
    url = f"/v1/customers/{plan.customer.tenant_id}/usagebudget"
    etag = api.get(url).json()["attributes"]["etag"]
    assert api.patch(url, {"amount": 10}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert_error(api.patch(url, {"amount": 20}, format="json", HTTP_IF_MATCH=etag), 412, 2055)
    assert SpendingBudget.objects.get().amount == Decimal("10.00")


@pytest.mark.parametrize("role,allowed", [(Role.GLOBAL_ADMIN, True), (Role.ADMIN_AGENT, True),
                                          (Role.BILLING_ADMIN, False), (Role.SALES_AGENT, False)])
def test_who_sets_a_budget(api_client_for, make_user, plan, role, allowed):
    client = api_client_for(make_user(role))
    response = client.patch(f"/v1/customers/{plan.customer.tenant_id}/usagebudget", {"amount": 12}, format="json")
    if allowed:
        assert response.status_code == 200
        assert SpendingBudget.objects.get().amount == 12
    else:
        assert_error(response, 403, 2032)
        assert not SpendingBudget.objects.exists()
