"""The invoicing extensions of the API: /v1/payments, /v1/invoices/{id}/creditnotes, /v1/creditlimit, in Partner
Center's envelope and checked against the schema; and a checkout over the credit limit refused, nothing ordered."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from accounts.choices import Role
from azureplan.choices import CartStatus
from azureplan.models import AzurePlan, Cart, Order
from azureplan.tests.factories import AZURE_PLAN_US, buyable_customer
from billing.models import DocumentType, Invoice, Payment
from core.testing import assert_error

from .factories_invoicing import invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_admin(make_user):
    return make_user(Role.BILLING_ADMIN, email="ba@a.example.com")


@pytest.fixture
def ba_api(api_client_for, billing_admin):
    return api_client_for(billing_admin)


def test_record_list_and_get_a_payment(ba_api, org):
    doc = invoice(org)
    body = {"amount": "50.00", "currencyCode": "usd", "receivedOn": "2026-12-01", "reference": "WIRE-42"}
    key = str(uuid.uuid4())
    created = ba_api.post("/v1/payments", body, format="json", HTTP_MS_REQUESTID=key)
    assert created.status_code == 201, created.json()
    payment = created.json()
    assert payment["amount"] == "50.00" and payment["allocations"] == [{"invoiceId": doc.number, "amount": "50.00"}]
    assert payment["unallocatedAmount"] == "0.00" and created["Location"] == f"/v1/payments/{payment['id']}"
    replay = ba_api.post("/v1/payments", body, format="json", HTTP_MS_REQUESTID=key)
    assert replay.status_code == 201 and replay.json()["id"] == payment["id"] and Payment.objects.count() == 1
    listed = ba_api.get("/v1/payments").json()
    assert listed["totalCount"] == 1 and listed["items"][0]["reference"] == "WIRE-42"
    assert ba_api.get(f"/v1/payments/{payment['id']}").json()["id"] == payment["id"]
    assert_error(ba_api.get(f"/v1/payments/{uuid.uuid4()}"), 404, 1000)
    assert_error(ba_api.get("/v1/payments/not-a-uuid"), 404, 1000)
    # Refusals, nothing written: the wrong currency, a float-ish amount with 3 decimals, an over-allocation.
    assert_error(ba_api.post("/v1/payments", {**body, "currencyCode": "EUR"}, format="json"), 400, 800002)
    assert_error(ba_api.post("/v1/payments", {**body, "amount": "1.234"}, format="json"), 400, 800002)
    over = {**body, "allocations": [{"invoiceId": doc.number, "amount": str(doc.total_amount)}]}
    assert_error(ba_api.post("/v1/payments", over, format="json"), 400, 800002)
    assert Payment.objects.count() == 1


def test_only_a_billing_admin_records_payments(api, org):
    invoice(org)
    body = {"amount": "5.00", "currencyCode": "USD", "receivedOn": "2026-12-01", "reference": "r"}
    assert_error(api.post("/v1/payments", body, format="json"), 403, 2032)  # a Global admin reads, does not record
    assert api.get("/v1/payments").status_code == 200


def test_issue_a_credit_note_through_the_api(ba_api, org):
    doc = invoice(org)
    first, second = doc.lines.order_by("id")
    # The lines' ids, as a script finds them: the invoice's billing line items carry lineId (an extension).
    listed = ba_api.get(f"/v1/invoices/{doc.number}/lineitems?provider=onetime&invoicelineitemtype=billinglineitems")
    assert [item["lineId"] for item in listed.json()["items"]] == [str(first.pk), str(second.pk)]
    url = f"/v1/invoices/{doc.number}/creditnotes"
    body = {"reason": "Duplicate meter", "lines": [{"lineId": str(first.pk), "amount": "3.50"},
                                                   {"lineId": str(second.pk)}]}
    created = ba_api.post(url, body, format="json", HTTP_MS_REQUESTID=str(uuid.uuid4()))
    assert created.status_code == 201, created.json()
    note = created.json()
    assert note["id"] == "G000000002" and note["amendsOf"] == doc.number
    # The same resource as GET /v1/invoices/{id}, with its reason and lines.
    shown = ba_api.get(f"/v1/invoices/{note['id']}").json()
    assert {k: v for k, v in note.items() if k not in ("reason", "lines")} == shown
    assert note["documentType"] == "adjustment_note" and note["reason"] == "Duplicate meter"
    assert Decimal(str(note["totalCharges"])) == -(Decimal("3.50") + second.subtotal)
    stored = Invoice.objects.get(number=note["id"], organisation=org).lines.order_by("id")
    assert [Decimal(line["quantity"]) for line in note["lines"]] == [line.quantity for line in stored]  # strings: exact
    assert [line["amendsLineId"] for line in note["lines"]] == [str(first.pk), str(second.pk)]
    # Over what the line has left, a missing reason, a foreign invoice: refused, nothing written.
    too_much = {"reason": "x", "lines": [{"lineId": str(first.pk), "amount": str(first.subtotal)}]}
    error = assert_error(ba_api.post(url, too_much, format="json"), 400, 800002)
    assert error["parameters"]["field"] == f"line_{first.pk}"
    assert_error(ba_api.post(url, {"reason": " ", "lines": [{"lineId": str(first.pk)}]}, format="json"), 400, 800002)
    foreign = invoice(month=dt.date(2026, 11, 1))
    assert_error(ba_api.post(f"/v1/invoices/{foreign.public_id}/creditnotes", body, format="json"), 404, 1000)
    assert Invoice.objects.filter(document_type=DocumentType.CREDIT_NOTE).count() == 1


def test_the_credit_limit_route_and_a_checkout_over_it_refused(ba_api, org, make_user, api_client_for):
    doc = invoice(org)
    org.credit_limit = doc.total_amount  # the unpaid invoice uses all of it
    org.save(update_fields=["credit_limit"])
    body = ba_api.get("/v1/creditlimit").json()
    assert body["creditLimit"] == str(doc.total_amount) and body["available"] == "0.00" and body["enforced"]
    assert body["unpaidInvoices"] == str(doc.total_amount) and body["incomingPurchases"] == "0.00"
    agent = api_client_for(make_user(Role.ADMIN_AGENT, Role.SALES_AGENT, email="agent@a.example.com"))
    customer = buyable_customer(org)
    cart = agent.post(f"/v1/customers/{customer.tenant_id}/carts",
                      {"lineItems": [{"id": 0, "catalogItemId": AZURE_PLAN_US, "quantity": 1,
                                      "billingCycle": "one_time"}]}, format="json")
    assert cart.status_code == 201, cart.json()
    refused = agent.post(f"/v1/customers/{customer.tenant_id}/carts/{cart.json()['id']}/checkout")
    error = assert_error(refused, 403, 900121)
    assert error["errorName"] == "InsufficientCreditLimit" and error["parameters"]["available"] == "0.00"
    assert not Order.objects.filter(customer=customer).exists()
    assert not AzurePlan.objects.filter(customer=customer).exists()
    assert Cart.objects.get(customer=customer).status == CartStatus.ACTIVE
    # The order route too; a payment frees credit and the purchase goes through.
    order_body = {"lineItems": [{"lineItemNumber": 0, "offerId": AZURE_PLAN_US, "quantity": 1}]}
    assert_error(agent.post(f"/v1/customers/{customer.tenant_id}/orders", order_body, format="json"), 403, 900121)
    pay = {"amount": "1.00", "currencyCode": "USD", "receivedOn": "2026-12-01", "reference": "r"}
    assert ba_api.post("/v1/payments", pay, format="json").status_code == 201
    assert ba_api.get("/v1/creditlimit").json()["available"] == "1.00"
    done = agent.post(f"/v1/customers/{customer.tenant_id}/carts/{cart.json()['id']}/checkout")
    assert done.status_code == 201, done.json()
    assert AzurePlan.objects.filter(customer=customer).count() == 1
