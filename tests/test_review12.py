"""Review of issue 12 (usage, PEC, rating, spend): the holes found, each pinned by a test that failed before its fix."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from azureplan.tests.factories import azure_plan_with_subscriptions
from billing.models import BudgetAlert, SpendingBudget
from billing.rating import spend
from billing.rating.budgets import budget_alerts_send
from billing.tests.factories_spendapi import insert_usage, usage_record
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(org):
    return azure_plan_with_subscriptions(CustomerFactory(organisation=org, company_name="Contoso"), n=1)


@pytest.fixture
def sub(plan):
    return plan.azure_subscriptions.get()


# ---------------------------------------------------------------- money: one currency per figure


def test_spend_api_sums_only_the_billing_currency_it_names(api, plan, sub):
    """totalCost is in currencyCode: a row rated in another currency (the partner's country changed currency, or a
    row rated before) is not added to it as if it were the same money (docs/billing.md "Spend and budgets")."""
    month = spend.open_month()
    insert_usage([usage_record(sub, day=month, quantity="10", unit_price="1"),
                  usage_record(sub, day=month, quantity="7", unit_price="1", currency="EUR", rate="0.5")])
    tenant = plan.customer.tenant_id
    summary = api.get(f"/v1/customers/{tenant}/usagesummary").json()
    assert summary["currencyCode"] == "USD"
    assert Decimal(str(summary["totalCost"])) == Decimal("10.00")
    assert Decimal(str(summary["usdTotalCost"])) == Decimal("17.00")  # USD is the pricing currency of both rows
    [record] = api.get("/v1/customers/usagerecords").json()["items"]
    assert Decimal(str(record["totalCost"])) == Decimal("10.00")
    [plan_record] = api.get(f"/v1/customers/{tenant}/subscriptions/usagerecords").json()["items"]
    assert Decimal(str(plan_record["totalCost"])) == Decimal("10.00")
    base = f"/v1/customers/{tenant}/subscriptions/{plan.public_id}"
    assert Decimal(str(api.get(f"{base}/usagesummary").json()["totalCost"])) == Decimal("10.00")
    [meter] = api.get(f"{base}/meterusagerecords").json()["items"]
    assert Decimal(str(meter["totalCost"])) == Decimal("10.00")
    resources = api.get(f"{base}/resourceusagerecords").json()["items"]
    assert sum(Decimal(str(r["totalCost"])) for r in resources) == Decimal("10.00")
    assert Decimal(str(api.get("/v1/usagesummary").json()["totalCost"])) == Decimal("10.00")


def test_a_budget_alert_counts_only_the_budgets_currency(global_admin, plan, sub):
    """A 100 USD budget with 50 USD of usage and 60 EUR rated in another currency is at 50 %, not 110 %."""
    now = dt.datetime(2026, 12, 15, 7, 0, tzinfo=dt.UTC)
    month = dt.date(2026, 12, 1)
    SpendingBudget.objects.create(customer=plan.customer, organisation_id=plan.customer.organisation_id,
                                  amount=Decimal("100"), currency="USD", updated_at=now)
    insert_usage([usage_record(sub, day=month, quantity="50", unit_price="1"),
                  usage_record(sub, day=month, quantity="35", unit_price="1", currency="EUR", rate="1")])
    assert budget_alerts_send(now=now)["sent"] == 0  # 50 % of the budget: no alert (85 % if EUR counted)
    insert_usage([usage_record(sub, day=month + dt.timedelta(days=1), quantity="31", unit_price="1")])
    assert budget_alerts_send(now=now)["sent"] == 1  # 81 USD: 81 %
    assert BudgetAlert.objects.get().spend == Decimal("81.00")


# ---------------------------------------------------------------- legacy rows are not Azure plan spend


def test_usage_before_a_legacy_cutover_is_not_counted_as_unrated(api, plan, sub):
    """Rows kept for the legacy subscription (not_rated_reason='legacy') are never rated on the Azure plan: the
    summaries do not report them as waiting for rating (the Spend pages already leave them out)."""
    month = spend.open_month()
    insert_usage([usage_record(sub, day=month, quantity="4"),
                  usage_record(sub, day=month, quantity="9", rated=False, not_rated_reason="legacy")])
    summary = api.get(f"/v1/customers/{plan.customer.tenant_id}/usagesummary").json()
    assert summary["unratedRecords"] == 0
    assert Decimal(str(summary["totalCost"])) == Decimal("4.00")
    base = f"/v1/customers/{plan.customer.tenant_id}/subscriptions/{plan.public_id}"
    [meter] = api.get(f"{base}/meterusagerecords").json()["items"]
    assert Decimal(str(meter["quantityUsed"])) == Decimal("4")


# ---------------------------------------------------------------- usage dates out of any month we bill


NOW = dt.datetime(2026, 12, 20, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "12/31/9999", "2027-02-01"])
def test_a_usage_date_outside_the_months_we_bill_is_a_bad_line(org, global_admin, actor_of, day):
    """9999-12-31 overflowed the partition's upper bound (an unexpected error, the job failed with 'date value out of
    range'); 0001-01-01 was accepted and created a partition for every month from year 1 to the others' dates. Now
    each is a bad line, named, and nothing is imported."""
    import uuid

    from billing.errors import UsageFileInvalid
    from billing.models import UsageRecord
    from billing.tests.factories_usageingest import line, usage_csv, usage_estate
    from billing.usage.partitions import existing_partitions
    from billing.usage.services import usage_import_file

    tenant, sub = uuid.uuid4(), uuid.uuid4()
    usage_estate(org, tenant_id=tenant, subscription_ids=[sub])
    before = existing_partitions()
    body = usage_csv([line(tenant, sub, "2026-12-01", "1"), line(tenant, sub, day, "2")])
    with time_machine.travel(NOW, tick=False), pytest.raises(UsageFileInvalid) as caught:
        usage_import_file(actor=actor_of(global_admin), fileobj=body, file_name="u.csv")
    [problem] = caught.value.data
    assert (problem["line"], problem["column"]) == (3, "UsageDate")
    assert "is not a usage date" in problem["reason"] or "is not a date" in problem["reason"]
    assert not UsageRecord.objects.exists()
    assert existing_partitions() == before


def test_next_months_usage_is_still_accepted(org, global_admin, actor_of):
    import uuid

    from billing.models import UsageRecord
    from billing.tests.factories_usageingest import line, usage_csv, usage_estate
    from billing.usage.services import usage_import_file

    tenant, sub = uuid.uuid4(), uuid.uuid4()
    usage_estate(org, tenant_id=tenant, subscription_ids=[sub])
    body = usage_csv([line(tenant, sub, "2027-01-31", "1"), line(tenant, sub, "2026-11-30", "1")])
    with time_machine.travel(NOW, tick=False):
        usage_import_file(actor=actor_of(global_admin), fileobj=body, file_name="u.csv")
    assert UsageRecord.objects.count() == 2


# ---------------------------------------------------------------- tenancy: the indirect reseller


def test_an_indirect_reseller_sees_none_of_its_providers_imports(make_org, make_user, api_client_for, portal_client,
                                                                  django_capture_on_commit_callbacks):
    """The provider's imports (and the rows kept aside) carry the lines of every reseller's customers: a reseller
    reads none of them, its id answers 404 (API and page), and it cannot import."""
    import uuid

    from django.urls import reverse

    from accounts.choices import Role, Tier
    from billing.tests.factories_usageingest import line, usage_csv, usage_estate
    from core.testing import assert_error

    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    tenant, sub = uuid.uuid4(), uuid.uuid4()
    usage_estate(provider, tenant_id=tenant, subscription_ids=[sub], reseller=reseller)
    body = usage_csv([line(tenant, sub, spend.open_month(), "1"), line(tenant, uuid.uuid4(), spend.open_month(), "1")])
    as_provider = api_client_for(make_user(Role.BILLING_ADMIN, organisation=provider))
    with django_capture_on_commit_callbacks(execute=True):
        created = as_provider.post("/v1/usage/imports", data=body, content_type="text/csv")
    assert created.status_code == 202
    assert as_provider.get("/v1/usage/unmatched").json()["totalCount"] == 1
    reseller_admin = make_user(Role.GLOBAL_ADMIN, organisation=reseller)
    as_reseller = api_client_for(reseller_admin)
    assert as_reseller.get("/v1/usage/imports").json()["totalCount"] == 0
    assert as_reseller.get("/v1/usage/unmatched").json()["totalCount"] == 0
    assert_error(as_reseller.get(created["Location"]), 404, 990312)
    assert_error(as_reseller.post("/v1/usage/imports", data=body, content_type="text/csv"), 403, 2032)
    page = portal_client(reseller_admin)
    assert page.get(reverse("billing:usage-import-detail", args=[created.json()["id"]])).status_code == 404
    assert b"u.csv" not in page.get(reverse("billing:usage-import")).content
    assert page.get(reverse("billing:usage-unmatched")).context["page"].paginator.count == 0
    # Its own customer's usage it does see, through the spend routes.
    assert api_client_for(reseller_admin).get(f"/v1/customers/{tenant}/usagesummary").status_code == 200


# ---------------------------------------------------------------- queries do not grow with the rows


def test_list_routes_cost_the_same_queries_for_one_or_many_rows(org, api, django_capture_on_commit_callbacks):
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing.tests.factories_usageingest import line, usage_csv, usage_estate

    def counts():
        out = {}
        for url in ("/v1/customers/usagerecords", "/v1/usagesummary", "/v1/usage/imports", "/v1/usage/unmatched",
                    "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems"
                    "&currencycode=USD&period=current"):
            with CaptureQueriesContext(connection) as queries:
                assert api.get(url).status_code == 200
            out[url] = len(queries)
        return out

    def grow(n):
        for _i in range(n):
            tenant, sub = uuid.uuid4(), uuid.uuid4()
            plan = azure_plan_with_subscriptions(CustomerFactory(organisation=org), n=1)
            insert_usage([usage_record(plan.azure_subscriptions.get(), day=spend.open_month())])
            usage_estate(org, tenant_id=tenant, subscription_ids=[sub])
            body = usage_csv([line(tenant, sub, spend.open_month(), "1"),
                              line(tenant, uuid.uuid4(), spend.open_month(), "1")])
            with django_capture_on_commit_callbacks(execute=True):
                assert api.post("/v1/usage/imports", data=body, content_type="text/csv").status_code == 202

    grow(1)
    one = counts()
    grow(4)
    assert counts() == one
