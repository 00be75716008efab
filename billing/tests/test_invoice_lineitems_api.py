"""Partner Center's invoice line items (api.md §16.3-§16.5): an invoice's billing line items (OneTimeInvoiceLineItem)
and billed daily rated usage (DailyRatedUsageLineItem) in the query and the path style, the unbilled billing line
items of the open month (line_select, nothing written), seek paging through two pages, errors and scoping."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import ClosedUsageMonth, InvoiceLine
from billing.rating import spend
from billing.tests.factories_invoiceapi import add_rated, field_names, rated_usage
from billing.tests.factories_invoicing import invoice
from billing.tests.factories_rating import world
from core.testing import assert_error, load_fixture, request_path

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
BILLING = "provider=onetime&invoicelineitemtype=billinglineitems"
USAGE = "provider=onetime&invoicelineitemtype=usagelineitems&currencycode=USD&period=previous"
UNBILLED = "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&currencycode=USD"


def _get(client, url, token=None):
    return client.get(url, **({"HTTP_MS_CONTINUATIONTOKEN": token} if token else {}))


def _follow(client, url):
    """Every page of a seek-paged list, following links.next with its MS-ContinuationToken header."""
    pages, response = [], _get(client, url)
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


def _missing(sample_names, body):
    names = set()
    for name in sample_names:
        for item in load_fixture(name)["items"]:
            names |= field_names(item)
    # Typos of Microsoft's samples: "invoiceLineItemTypce" (daily rated usage), "attributes/objectType" for
    # attributes.objectType (the one-time line items' second item).
    return names - field_names(body["items"][0]) - {"invoiceLineItemTypce", "attributes/objectType"}


@pytest.fixture
def october(org):
    return invoice(org, month=OCT, customers=3)


def test_billing_line_items_have_every_field_of_microsofts_samples(api, october, org):
    body = api.get(f"/v1/invoices/{october.number}/lineitems?{BILLING}&size=2000").json()
    assert body["totalCount"] == 3 and body["attributes"] == {"objectType": "Collection"}
    missing = _missing(["invoice-lineitems-onetime-billing-page1.response.normalized.json",
                        "invoice-lineitems-onetime-billing-page2.response.normalized.json"], body)
    assert not missing, missing
    lines = {line.customer.tenant_id: line for line in InvoiceLine.objects.filter(invoice=october)
             .select_related("customer", "azure_plan")}
    for item in body["items"]:
        line = lines[dt_uuid(item["customerId"])]
        assert item["invoiceNumber"] == october.number
        assert item["attributes"] == {"objectType": "OneTimeInvoiceLineItem"}
        assert (item["invoiceLineItemType"], item["billingProvider"]) == ("billing_line_items", "one_time")
        assert item["subscriptionId"] == str(line.azure_plan.public_id)
        assert (item["productId"], item["skuId"], item["meterId"]) == (line.product_id, line.sku_id, line.meter_id)
        assert Decimal(item["subtotal"]) == line.subtotal and Decimal(item["totalForCustomer"]) == line.total
        assert Decimal(item["quantity"]) == Decimal(item["billableQuantity"]) == line.quantity
        assert Decimal(item["unitPrice"]) == line.unit_price
        assert Decimal(item["effectiveUnitPrice"]) == line.effective_unit_price
        assert item["priceAdjustmentDescription"] == line.price_adjustment_description
        assert item["pcToBCExchangeRate"] == "1" and item["pcToBCExchangeRateDate"] == "2026-10-31T00:00:00Z"
        assert (item["chargeStartDate"], item["chargeEndDate"]) == ("2026-10-01T00:00:00Z", "2026-10-31T00:00:00Z")
        assert item["customerName"] == line.customer.company_name and item["mpnId"] == org.partner_id
        assert item["partnerId"] == str(org.tenant_id) and item["taxTotal"] == "0"
    assert {i["priceAdjustmentDescription"] for i in body["items"]} == {
        "", '["15.0% Partner earned credit for services managed"]'}
    assert sum(Decimal(i["subtotal"]) for i in body["items"]) == october.total_amount


def dt_uuid(value):
    import uuid

    return uuid.UUID(value)


def test_the_path_style_and_microsofts_requests(api, october):
    query = api.get(f"/v1/invoices/{october.number}/lineitems?{BILLING}").json()
    for path in (f"/v1/invoices/{october.number}/lineitems/OneTime/BillingLineItems",
                 f"/v1/invoices/OneTime-{october.number}/lineitems/onetime/billinglineitems"):
        response = api.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        assert response.json()["items"] == query["items"]
    sample = "/v1" + request_path("invoice-lineitems-onetime-billing-page1.request.http")  # size=2&offset=0
    assert api.get(sample.replace("G000024135", october.number)).json()["items"] == query["items"][:2]
    # The invoice's own links lead there.
    details = api.get(f"/v1/invoices/{october.number}").json()["invoiceDetails"]
    for detail in details:
        assert api.get("/v1" + detail["links"]["self"]["uri"]).status_code == 200
    usage = api.get(f"/v1/invoices/{october.number}/lineitems/OneTime/UsageLineItems?currencycode=USD")
    assert usage.status_code == 200 and usage.json()["totalCount"] == 0


def test_two_pages_of_billing_line_items(api, october):
    pages = _follow(api, f"/v1/invoices/{october.number}/lineitems?{BILLING}&size=2")
    assert [page["totalCount"] for page in pages] == [2, 1]
    assert len({(i["customerId"], i["meterId"]) for page in pages for i in page["items"]}) == 3
    assert "next" not in pages[-1]["links"] and "continuationToken" not in pages[-1]
    # Microsoft's page 2 request: the path style with seekOperation=Next and the header.
    token = pages[0]["continuationToken"]
    path = request_path("invoice-lineitems-onetime-billing-page2.request.http").replace("G000024135", october.number)
    assert _get(api, "/v1" + path + "&size=2", token).json()["items"] == pages[1]["items"]


def _usage_of(invoice_doc, days=3):
    """Rated usage rows of the invoice's month for each of its Azure plans (and one of the next month)."""
    rows = []
    for n, line in enumerate(InvoiceLine.objects.filter(invoice=invoice_doc).select_related("azure_plan")):
        sub = line.azure_plan.azure_subscriptions.first()
        rows += [rated_usage(sub, invoice_doc.period_start + dt.timedelta(days=d), 10 + d, pec=15 if n % 2 == 0 else 0,
                             resource_uri=f"/r/{n}/{d}") for d in range(days)]
        rows.append(rated_usage(sub, dt.date(2026, 11, 2), 5, resource_uri=f"/next/{n}"))
    return add_rated(rows)


def test_billed_daily_rated_usage_has_microsofts_fields_and_the_invoice_number(api, october):
    rows = _usage_of(october)
    url = f"/v1/invoices/{october.number}/lineitems?{USAGE}&size=2000"
    body = api.get(url).json()
    assert body["totalCount"] == 9  # the month's rows only
    missing = _missing(["billed-daily-rated-usage-page1.response.json",
                        "billed-daily-rated-usage-page2.response.json"], body)
    assert not missing, missing
    assert {i["invoiceNumber"] for i in body["items"]} == {october.number}
    assert {i["attributes"]["objectType"] for i in body["items"]} == {"DailyRatedUsageLineItem"}
    assert {i["usageDate"][:7] for i in body["items"]} == {"2026-10"}
    october_rows = [r for r in rows if r.usage_date.month == 10]
    assert sum(Decimal(str(i["billingPreTaxTotal"])) for i in body["items"]) == sum(
        r.billing_pre_tax_total for r in october_rows)
    pec = api.get(url + "&hasPartnerEarnedCredit=true").json()["items"]
    assert pec and all(i["hasPartnerEarnedCredit"] for i in pec) and len(pec) < 9
    # Microsoft's requests, page 1 and (in its own spelling) page 2, with seek paging through two pages.
    first = api.get("/v1" + request_path("billed-daily-rated-usage-page1.request.http").replace(
        "T000001234", october.number).replace("size=2000", "size=5")).json()
    assert first["totalCount"] == 5
    path = request_path("billed-daily-rated-usage-page2.request.http").replace("T000001234", october.number)
    second = _get(api, "/v1" + path.replace("size=2000", "size=5"), first["continuationToken"]).json()
    assert second["totalCount"] == 4 and "next" not in second["links"]
    assert len({i["resourceUri"] for i in first["items"] + second["items"]}) == 9
    # Another currency: nothing of this invoice.
    assert api.get(url.replace("USD", "EUR")).json()["totalCount"] == 0


@pytest.mark.parametrize("query,status,code,field", [
    ("provider=office&invoicelineitemtype=billinglineitems", 400, 800042, "provider"),
    ("provider=azure&invoicelineitemtype=usagelineitems", 400, 800042, "provider"),
    ("provider=retail&invoicelineitemtype=billinglineitems", 400, 800002, "provider"),
    ("invoicelineitemtype=billinglineitems", 400, 800002, "provider"),
    ("provider=onetime", 400, 800002, "invoicelineitemtype"),
    ("provider=onetime&invoicelineitemtype=licenselineitems", 400, 800002, "invoicelineitemtype"),
    ("provider=onetime&invoicelineitemtype=billinglineitems&size=2001", 400, 800002, "size"),
    ("provider=onetime&invoicelineitemtype=billinglineitems&size=x", 400, 800002, "size"),
    ("provider=onetime&invoicelineitemtype=billinglineitems&period=last", 400, 800002, "period"),
    ("provider=onetime&invoicelineitemtype=usagelineitems&currencycode=dollars", 400, 800002, "currencycode"),
    ("provider=onetime&invoicelineitemtype=usagelineitems&hasPartnerEarnedCredit=maybe", 400, 800002,
     "hasPartnerEarnedCredit"),
])
def test_bad_queries_get_partner_centers_errors(api, october, query, status, code, field):
    assert_error(api.get(f"/v1/invoices/{october.number}/lineitems?{query}"), status, code, field)


def test_a_code_that_is_no_currency_is_a_400_on_every_line_item_route_not_an_empty_page(api, october):
    """XYZ has the shape of a code but is no ISO 4217 currency: 400 naming currencycode (in the caller's language),
    where a real currency the invoice is not in (EUR) is an empty page."""
    for url in (f"/v1/invoices/{october.number}/lineitems?provider=onetime&invoicelineitemtype=usagelineitems"
                "&currencycode=XYZ",
                "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems"
                "&currencycode=xyz&period=current",
                "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems"
                "&currencycode=XYZ&period=current",
                "/v1/invoices/estimates/links?currencycode=XYZ"):
        error = assert_error(api.get(url), 400, 800002, "currencycode")
        assert "XYZ" in error["description"]
        french = assert_error(api.get(url, HTTP_X_LOCALE="fr-FR"), 400, 800002, "currencycode")
        assert "n'est pas un code de devise" in french["description"]
    french = assert_error(api.get("/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype="
                                  "usagelineitems&currencycode=USD&period=last", HTTP_X_LOCALE="fr-FR"),
                          400, 800002, "period")
    assert "obligatoire" in french["description"]


def test_bad_path_style_and_tokens(api, october):
    assert_error(api.get(f"/v1/invoices/{october.number}/lineitems/Office/BillingLineItems"), 400, 800042, "provider")
    assert_error(api.get(f"/v1/invoices/{october.number}/lineitems/OneTime/Nothing"), 400, 800002,
                 "invoicelineitemtype")
    url = f"/v1/invoices/{october.number}/lineitems?{BILLING}&size=1"
    token = api.get(url).json()["continuationToken"]
    assert_error(_get(api, url + "&seekOperation=Next", "garbage"), 400, 800002, "MS-ContinuationToken")
    other = invoice(october.organisation, month=dt.date(2026, 9, 1), customers=2)
    assert_error(_get(api, f"/v1/invoices/{other.number}/lineitems?{BILLING}&size=1&seekOperation=Next", token), 400,
                 800002, "MS-ContinuationToken")


# ---------------------------------------------------------------- unbilled billing line items


@pytest.fixture
def open_usage(org):
    """Rated usage of the open month: two customers, one with two meters' PEC rates, and a row not rated yet."""
    month = spend.open_month()
    a, b = world(organisation=org), world(organisation=org)
    rows = [rated_usage(a.sub, month, 10, pec=15, resource_uri="/a/1"),
            rated_usage(a.sub, month, 4, pec=15, resource_uri="/a/2"),
            rated_usage(a.sub, month, 3, pec=0, resource_uri="/a/3"),
            rated_usage(b.sub, month, 7, resource_uri="/b/1")]
    from billing.tests.factories_rating import usage

    add_rated([*rows, usage(b.sub, month, 2, resource_uri="/b/unrated")])
    return {"month": month, "rows": rows, "a": a, "b": b}


def test_unbilled_billing_line_items_sum_the_open_month_as_a_run_would(api, open_usage):
    before = InvoiceLine.objects.count()
    body = api.get(UNBILLED + "&period=current&size=2000").json()
    assert InvoiceLine.objects.count() == before  # read only
    assert body["totalCount"] == 3  # customer a: PEC 15 and 0; customer b
    missing = _missing(["unbilled-recon-lineitems-page1.response.normalized.json"], body)
    assert not missing, missing
    assert {i["invoiceNumber"] for i in body["items"]} == {""}
    assert {i["attributes"]["objectType"] for i in body["items"]} == {"OneTimeInvoiceLineItem"}
    assert sum(Decimal(i["subtotal"]) for i in body["items"]) == sum(r.billing_pre_tax_total
                                                                      for r in open_usage["rows"])
    pec_line = next(i for i in body["items"] if i["priceAdjustmentDescription"])
    assert Decimal(pec_line["quantity"]) == 14
    assert pec_line["priceAdjustmentDescription"] == '["15.0% Partner earned credit for services managed"]'
    assert pec_line["customerId"] == str(open_usage["a"].customer.tenant_id)
    assert pec_line["subscriptionId"] == str(open_usage["a"].plan.public_id)
    first = open_usage["month"]
    assert pec_line["chargeStartDate"] == f"{first:%Y-%m-%d}T00:00:00Z"
    # Two pages, each line once; Microsoft's requests (page 2 in its own spelling) page the same way.
    pages = _follow(api, UNBILLED + "&period=current&size=2")
    assert [p["totalCount"] for p in pages] == [2, 1]
    assert sorted(i["subtotal"] for p in pages for i in p["items"]) == sorted(i["subtotal"] for i in body["items"])
    path = request_path("unbilled-recon-lineitems-page2.request.http").replace("period=previous", "period=current")
    second = _get(api, "/v1" + path.replace("size=2000", "size=2"), pages[0]["continuationToken"]).json()
    assert second["items"] == pages[1]["items"]
    assert api.get("/v1" + request_path("unbilled-recon-lineitems-page1.request.http").replace(
        "//", "/")).json()["totalCount"] == 0  # the previous month: nothing rated there
    # Another currency: nothing; the usage line items are still rating's.
    assert api.get(UNBILLED.replace("USD", "EUR") + "&period=current").json()["totalCount"] == 0
    usage = api.get(UNBILLED.replace("billinglineitems", "usagelineitems") + "&period=current").json()
    assert usage["totalCount"] == 4 and usage["items"][0]["attributes"]["objectType"] == "DailyRatedUsageLineItem"


def test_unbilled_previous_month_until_it_is_invoiced_and_the_path_style(api, org, open_usage):
    previous = spend.previous_month(open_usage["month"])
    add_rated([rated_usage(open_usage["a"].sub, previous, 6, resource_uri="/a/prev")])
    url = UNBILLED + "&period=previous"
    assert api.get(url).json()["totalCount"] == 1
    path = "/v1/invoices/unbilled/lineitems/OneTime/BillingLineItems?currencycode=USD&period=previous"
    assert api.get(path).json()["items"] == api.get(url).json()["items"]
    usage_path = "/v1/invoices/unbilled/lineitems/OneTime/UsageLineItems?currencycode=USD&period=previous"
    assert api.get(usage_path).json()["totalCount"] == 1
    ClosedUsageMonth.objects.create(organisation_id=org.pk, month=previous, closed_at=spend.timezone.now())
    assert api.get(url).json()["totalCount"] == 0


@pytest.mark.parametrize("query,status,code,field", [
    ("provider=office&invoicelineitemtype=billinglineitems&currencycode=USD&period=current", 400, 800042,
     "provider"),
    ("provider=onetime&invoicelineitemtype=billinglineitems&period=current", 400, 800002, "currencycode"),
    ("provider=onetime&invoicelineitemtype=billinglineitems&currencycode=USD", 400, 800002, "period"),
    ("provider=onetime&invoicelineitemtype=billinglineitems&currencycode=USD&period=current&size=0x", 400, 800002,
     "size"),
    ("invoicelineitemtype=billinglineitems&currencycode=USD&period=current", 400, 800002, "provider"),
])
def test_unbilled_billing_line_items_errors(api, query, status, code, field):
    assert_error(api.get("/v1/invoices/unbilled/lineitems?" + query), status, code, field)


def test_provider_all_as_microsofts_estimate_link_writes_it(api, open_usage):
    url = UNBILLED.replace("provider=onetime", "provider=all") + "&period=current"
    assert api.get(url).json()["totalCount"] == 3


def test_unbilled_lines_are_the_callers_own(api, open_usage, other_org, make_user, api_client_for):
    foreign = world(organisation=other_org)
    add_rated([rated_usage(foreign.sub, open_usage["month"], 99, resource_uri="/foreign")])
    assert api.get(UNBILLED + "&period=current").json()["totalCount"] == 3
    from accounts.choices import Role

    client = api_client_for(make_user(Role.GLOBAL_ADMIN, organisation=other_org, email="ga@b.example.com"))
    items = client.get(UNBILLED + "&period=current").json()["items"]
    assert [Decimal(i["quantity"]) for i in items] == [99]


def test_an_indirect_resellers_unbilled_lines_are_its_customers(make_org, make_user, api_client_for):
    from accounts.choices import Role, Tier

    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=provider.country)
    month = spend.open_month()
    mine, theirs = world(organisation=provider, reseller=reseller), world(organisation=provider)
    add_rated([rated_usage(mine.sub, month, 3, resource_uri="/mine"),
               rated_usage(theirs.sub, month, 8, resource_uri="/theirs")])
    client = api_client_for(make_user(Role.GLOBAL_ADMIN, organisation=reseller, email="ga@r.example.com"))
    items = client.get(UNBILLED + "&period=current").json()["items"]
    assert [(i["customerId"], Decimal(i["quantity"])) for i in items] == [(str(mine.customer.tenant_id), 3)]
    assert items[0]["resellerMpnId"] == reseller.partner_id
    provider_client = api_client_for(make_user(Role.GLOBAL_ADMIN, organisation=provider, email="ga@p.example.com"))
    assert provider_client.get(UNBILLED + "&period=current").json()["totalCount"] == 2


def test_odd_input_is_never_a_500(api, october):
    """Every route and parameter with odd values: Partner Center's envelope, never a server error."""
    odd = ["", "-1", "99999999999999999999999", "٣", "%00", "1.5", "[]", "{}", "null", "ZZZ", '{"Field":1}']
    number = october.number
    urls = []
    for value in odd:
        for name in ("size", "offset", "filter", "currencycode", "period", "provider", "invoicelineitemtype",
                     "hasPartnerEarnedCredit", "seekOperation", "continuationToken"):
            urls += [f"/v1/invoices?{name}={value}", f"/v1/invoices/estimates/links?{name}={value}",
                     f"/v1/invoices/{number}/lineitems?{BILLING}&{name}={value}",
                     f"/v1/invoices/{number}/lineitems?{USAGE}&{name}={value}",
                     f"{UNBILLED}&period=current&{name}={value}"]
        urls += [f"/v1/invoices/{value}", f"/v1/invoices/{value}/lineitems?{BILLING}",
                 f"/v1/invoices/{number}/lineitems/{value}/{value}"]
    fails = []
    for url in urls:
        response = api.get(url)
        if response.status_code >= 500:
            fails.append((url, response.status_code))
    assert not fails, fails
