"""Partner Center's invoice routes (api.md §16.1, §16.2): the list with offset paging and the InvoiceDate filter, one
invoice with its PDF link, credit notes as Partner Center shows them, paid amounts and balances from payment
allocations, the summaries and the estimate links; scoping and roles. Invoices come from factories_invoicing."""

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import quote

import pytest

from accounts.choices import Role
from billing.models import InvoiceStatus
from billing.rating import spend
from billing.tests.factories_invoiceapi import credit_note, field_names, payment
from billing.tests.factories_invoicing import invoice
from core.testing import assert_error, load_fixture, request_path

pytestmark = pytest.mark.django_db

OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
# Microsoft's samples print tax receipts; no tax receipt is issued here (taxReceipts is always empty).
def _missing(sample, body) -> set[str]:
    return {name for name in field_names(sample) - field_names(body) if "taxReceipts[]." not in name}


@pytest.fixture
def docs(org):
    """October's invoice (2 customers), its credit note, November's invoice, a draft of December; and partner B's
    invoice of October."""
    october = invoice(org, month=OCT)
    note = credit_note(october)
    november = invoice(org, month=NOV, customers=1)
    draft = invoice(org, month=dt.date(2026, 12, 1), customers=1, status=InvoiceStatus.DRAFT)
    return {"october": october, "note": note, "november": november, "draft": draft}


def _filter(value, operator="greater_than_or_equals", field="InvoiceDate"):
    return quote(json.dumps({"Field": field, "Value": value, "Operator": operator}))


def test_the_list_has_every_field_of_microsofts_sample(api, docs):
    body = api.get("/v1/invoices").json()
    assert not _missing(load_fixture("list-invoices.response.json"), {**body, "links": api.get(
        "/v1/invoices?size=1").json()["links"]})
    assert body["attributes"] == {"objectType": "Collection"}
    numbers = [item["id"] for item in body["items"]]
    # Issued documents only, newest first: the credit note (issued after October's invoice), November, October.
    assert numbers == [docs["november"].number, docs["note"].number, docs["october"].number]
    october = next(i for i in body["items"] if i["id"] == docs["october"].number)
    assert october["invoiceType"] == "OneTime" and october["documentType"] == "invoice"
    assert october["attributes"] == {"objectType": "Invoice"} and october["amendsOf"] is None
    assert october["invoiceDate"] == "2026-11-01T00:00:00Z"
    assert october["billingPeriodStartDate"] == "2026-10-01T00:00:00Z"
    assert october["billingPeriodEndDate"] == "2026-10-31T00:00:00Z"
    assert Decimal(str(october["totalCharges"])) == docs["october"].total_amount > 0
    assert (october["currencyCode"], october["currencySymbol"]) == ("USD", "$")
    assert october["links"]["self"]["uri"] == f"/invoices/OneTime-{docs['october'].number}"
    assert [d["invoiceLineItemType"] for d in october["invoiceDetails"]] == ["billing_line_items", "usage_line_items"]
    assert {d["billingProvider"] for d in october["invoiceDetails"]} == {"one_time"}
    assert [a["id"] for a in october["amendments"]] == [docs["note"].number]


def test_a_credit_note_is_shown_as_partner_center_shows_one(api, docs):
    note = api.get(f"/v1/invoices/{docs['note'].number}").json()
    assert note["documentType"] == "adjustment_note" and note["amendsOf"] == docs["october"].number
    assert Decimal(str(note["totalCharges"])) == docs["note"].total_amount < 0
    assert note["amendments"] == [] and note["dueDate"] is None  # nothing is due on a credit note
    lines = api.get(f"/v1/invoices/{docs['note'].number}/lineitems?provider=onetime"
                    "&invoicelineitemtype=billinglineitems").json()["items"]
    assert len(lines) == 2 and all(Decimal(line["subtotal"]) < 0 for line in lines)
    assert {line["referenceId"] for line in lines} == {docs["october"].number}
    assert {line["invoiceNumber"] for line in lines} == {docs["note"].number}


def test_one_invoice_has_every_field_of_microsofts_sample_and_a_pdf_link_relative_to_v1(api, docs):
    number = docs["october"].number
    body = api.get(f"/v1/invoices/{number}").json()
    missing = _missing(load_fixture("get-invoice.response.json"), body)
    assert not missing, missing
    assert body["pdfDownloadLink"] == f"/invoices/{number}/documents/statement"  # as the sample, like links' uri
    pdf = api.get(f"/v1{body['pdfDownloadLink']}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == f'attachment; filename="Invoice_{number}.pdf"'  # api.md §16.2
    prefixed = api.get(f"/v1/invoices/OneTime-{number}/documents/statement")  # the id as links.self writes it
    assert prefixed.status_code == 200 and prefixed.content == pdf.content
    # Partner Center's own id forms: its links' OneTime- prefix, any case; and the sample's request path.
    assert api.get(f"/v1{body['links']['self']['uri']}").json()["id"] == number
    assert api.get(f"/v1/invoices/{number.lower()}").json()["id"] == number
    assert_error(api.get(f"/v1/invoices/Recurring-{number}"), 404, 1000)  # the wrong invoice type names none
    path = request_path("get-invoice.request.http").replace("<invoice-id>", number)
    assert api.get("/v1" + path).status_code == 200


def test_unknown_draft_and_foreign_invoices_answer_404(api, docs, other_org):
    foreign = [invoice(other_org, month=month, customers=1) for month in (OCT, NOV, dt.date(2026, 9, 1),
                                                                           dt.date(2026, 8, 1))]
    assert foreign[0].number == docs["october"].number  # each organisation numbers its own invoices
    assert api.get(f"/v1/invoices/{foreign[0].number}").json()["billingPeriodStartDate"].startswith("2026-10")
    for key in (foreign[3].number, str(foreign[0].public_id), str(docs["draft"].public_id), "G999999999",
                "not-an-id", "OneTime-"):
        for suffix in ("", "/lineitems?provider=onetime&invoicelineitemtype=billinglineitems",
                       "/lineitems/OneTime/BillingLineItems", "/lineitems"):
            assert_error(api.get(f"/v1/invoices/{key}{suffix}"), 404, 1000)
    assert {i["id"] for i in api.get("/v1/invoices").json()["items"]} == {
        docs["october"].number, docs["note"].number, docs["november"].number}


def test_paging_through_two_pages_with_size_and_offset(api, docs):
    first = api.get("/v1/invoices?size=2").json()
    assert first["totalCount"] == 2 and first["links"]["self"]["uri"] == "/invoices?size=2&offset=0"
    assert first["links"]["next"]["uri"] == "/invoices?size=2&offset=2"
    second = api.get("/v1" + first["links"]["next"]["uri"]).json()
    assert second["totalCount"] == 1 and "next" not in second["links"]
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 3
    # Microsoft's request: size=200&offset=0.
    assert api.get("/v1" + request_path("list-invoices.request.http")).json()["totalCount"] == 3


def test_the_invoice_date_filter(api, docs):
    def ids(query):
        response = api.get("/v1/invoices?filter=" + query)
        assert response.status_code == 200, response.content[:300]
        return {i["id"] for i in response.json()["items"]}

    october, note, november = docs["october"].number, docs["note"].number, docs["november"].number
    assert ids(_filter("2026-12-01")) == {november}
    assert ids(_filter("2026-11-01", "equals")) == {october}
    assert ids(_filter("2026-11-01T00:00:00Z", "greater_than")) == {note, november}
    assert ids(_filter("2026-11-01T18:44:37.5381456Z", "greater_than")) == {note, november}  # Microsoft's 7 digits
    assert ids(_filter("2026-12-01", "less_than")) == {october, note}
    assert ids(_filter("2026-11-04", "less_than_or_equals")) == {october, note}
    # Names and values in any case, as Json.NET reads them.
    raw = quote(json.dumps({"field": "invoicedate", "value": "2026-12-01", "operator": "GreaterThanOrEquals"}))
    assert ids(raw) == {november}
    first = api.get("/v1/invoices?size=1&filter=" + _filter("2026-11-01")).json()
    assert "filter=" in first["links"]["next"]["uri"]
    assert {i["id"] for i in api.get("/v1" + first["links"]["next"]["uri"]).json()["items"]} == {note}


@pytest.mark.parametrize("query,field", [
    ("filter=" + _filter("2026-10-01", field="CompanyName"), "filter"),
    ("filter=" + _filter("2026-10-01", operator="starts_with"), "filter"),
    ("filter=" + _filter("yesterday"), "filter"),
    ("filter=" + _filter("2026-12-06T25:00:00"), "filter"),
    ("filter=" + _filter("2026-12-06T10:00:00+99:00"), "filter"),
    ("filter=" + _filter("2026-12-06junk"), "filter"),
    ("filter=not-json", "filter"),
    ("filter=[1]", "filter"),
    ("size=0x", "size"),
    ("size=1001", "size"),
    ("offset=-1", "offset"),
    ("offset=x", "offset"),
])
def test_bad_list_queries_get_partner_centers_errors(api, docs, query, field):
    assert_error(api.get("/v1/invoices?" + query), 400, 800002, field)


def test_paid_amounts_and_balances_come_from_payment_allocations(api, docs, org):
    october, note, november = docs["october"], docs["note"], docs["november"]
    payment(org, {october: "10.00"}, received_on=dt.date(2026, 11, 20))
    payment(org, {october: "5.50", november: "1.25"}, received_on=dt.date(2026, 12, 2))
    items = {i["id"]: i for i in api.get("/v1/invoices").json()["items"]}
    assert Decimal(str(items[october.number]["paidAmount"])) == Decimal("-15.50")
    assert Decimal(str(items[november.number]["paidAmount"])) == Decimal("-1.25")
    assert items[note.number]["paidAmount"] == 0
    summary = api.get("/v1/invoices/summary").json()
    expected = october.total_amount + november.total_amount - abs(note.total_amount) - Decimal("16.75")
    assert Decimal(str(summary["balanceAmount"])) == expected
    assert summary["lastPaymentDate"] == "2026-12-02T00:00:00Z"
    assert Decimal(str(summary["lastPaymentAmount"])) == Decimal("6.75")
    assert summary["firstInvoiceCreationDate"] == "2026-11-01T00:00:00Z"
    assert summary["latestInvoiceDate"] == "2026-12-01T00:00:00Z"
    assert summary["invoiceCount"] == 3
    assert summary["details"][0]["invoiceType"] == "OneTime"
    assert summary["details"][0]["summary"]["balanceAmount"] == summary["balanceAmount"]
    # A void invoice owes nothing.
    from billing.models import Invoice

    Invoice.objects.filter(pk=november.pk).update(status=InvoiceStatus.VOID)
    after = api.get("/v1/invoices/summary").json()
    assert Decimal(str(after["balanceAmount"])) == expected - november.total_amount


def test_summaries_have_every_field_of_microsofts_sample_one_per_currency(api, docs, org):
    invoice(org, month=dt.date(2026, 9, 1), customers=1, currency="EUR", rate="0.9")
    body = api.get("/v1/invoices/summaries").json()
    missing = field_names(load_fixture("get-invoice-summaries.response.json")) - field_names(body)
    assert not missing, missing
    assert [i["currencyCode"] for i in body["items"]] == ["EUR", "USD"]
    assert body["items"][0]["currencySymbol"] == "€" and body["items"][0]["invoiceCount"] == 1
    assert body["items"][1]["lastPaymentDate"] == "0001-01-01T00:00:00"  # Partner Center's "never"
    assert body["links"]["self"]["uri"] == "/invoices/summaries"


def test_a_partner_without_invoices_has_a_zero_balance(api):
    body = api.get("/v1/invoices/summary").json()
    assert body["balanceAmount"] == 0 and body["currencyCode"] == "USD" and body["invoiceCount"] == 0
    assert api.get("/v1/invoices").json() == {"totalCount": 0, "items": [], "attributes": {"objectType": "Collection"},
                                              "links": {"self": {"uri": "/invoices?size=200&offset=0",
                                                                 "method": "GET", "headers": []}}}


def test_estimate_links_have_microsofts_fields_and_lead_to_answering_routes(api):
    body = api.get("/v1" + request_path("get-invoice-estimate-links.request.http")).json()
    missing = field_names(load_fixture("get-invoice-estimate-links.response.json")) - field_names(body)
    assert not missing, missing
    assert [(i["type"], i["period"]) for i in body["items"]] == [
        ("daily_rated_usage", "Current"), ("daily_rated_usage", "Previous"), ("non_consumption", "Current"),
        ("non_consumption", "Previous")]
    for item in body["items"]:
        assert "currencycode=USD" in item["link"]["uri"]
        response = api.get("/v1" + item["link"]["uri"])
        assert response.status_code == 200, (item["link"]["uri"], response.content[:300])
    default = api.get("/v1/invoices/estimates/links").json()
    assert "currencycode=USD" in default["items"][0]["link"]["uri"]
    assert_error(api.get("/v1/invoices/estimates/links?currencycode=dollars"), 400, 800002, "currencycode")


@pytest.mark.parametrize("role,status", [(Role.BILLING_ADMIN, 200), (Role.ADMIN_AGENT, 200),
                                         (Role.SALES_AGENT, 403), (Role.HELPDESK_AGENT, 403)])
def test_roles(make_user, api_client_for, docs, role, status):
    client = api_client_for(make_user(role, email=f"{role.value}@a.example.com"))
    number = docs["october"].number
    for url in ("/v1/invoices", f"/v1/invoices/{number}", "/v1/invoices/summary", "/v1/invoices/summaries",
                "/v1/invoices/estimates/links", f"/v1/invoices/{number}/lineitems/OneTime/BillingLineItems",
                f"/v1/invoices/{number}/lineitems?provider=onetime&invoicelineitemtype=usagelineitems",
                "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems"
                "&currencycode=USD&period=current"):
        response = client.get(url)
        assert response.status_code == status, (url, response.content[:200])
        if status == 403:
            assert response.json()["code"] == 2032


def test_an_indirect_reseller_sees_no_invoices(api_client_for, make_user, make_org, org, docs):
    from accounts.choices import Tier

    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=org, country=org.country)
    client = api_client_for(make_user(Role.GLOBAL_ADMIN, organisation=reseller, email="ga@reseller.example.com"))
    assert client.get("/v1/invoices").json()["totalCount"] == 0
    assert_error(client.get(f"/v1/invoices/{docs['october'].number}"), 404, 1000)
    assert client.get("/v1/invoices/summary").json()["balanceAmount"] == 0
    assert spend.open_month()  # the reseller's unbilled lines are its own customers' (test_invoice_lineitems_api)


def test_the_routes_cost_the_same_queries_for_few_or_many_rows(api, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    october = invoice(org, month=OCT, customers=1)
    urls = ["/v1/invoices", f"/v1/invoices/{october.number}", "/v1/invoices/summaries",
            f"/v1/invoices/{october.number}/lineitems?provider=onetime&invoicelineitemtype=billinglineitems"]

    def counts():
        out = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert api.get(url).status_code == 200
            out[url] = len(queries)
        return out

    counts()  # the token's first use is recorded once
    few = counts()
    credit_note(october)
    invoice(org, month=NOV, customers=1)
    payment(org, {october: "1.00"})
    assert counts() == few
