"""Odd input on every new route, page form and GET parameter of issue 12 (usage, rating, spend): Partner Center's
error envelope or a message, never a 500. Each loop collects the failures and names them all."""

import uuid as _uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from azureplan.tests.factories import azure_plan_with_subscriptions
from billing.rating import spend
from billing.tests.factories_spendapi import insert_usage, usage_record
from billing.tests.factories_usageingest import api_item, line, usage_estate
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LI = "/v1/invoices/unbilled/lineitems"
BASE = "provider=onetime&invoicelineitemtype=usagelineitems&currencycode=USD&period=current"
ODD = ["", "-1", "99999999999999999999999", "٣", "%00", "2001", "1.5", "[]", "ZZZ"]


@pytest.fixture(autouse=True)
def _no_throttle():
    from core.api.throttling import TenantRateThrottle
    old = TenantRateThrottle.THROTTLE_RATES
    TenantRateThrottle.THROTTLE_RATES = {"tenant": "100000/min"}
    yield
    TenantRateThrottle.THROTTLE_RATES = old


@pytest.fixture
def data(org):
    plan = azure_plan_with_subscriptions(CustomerFactory(organisation=org, company_name="Contoso"), n=1)
    sub = plan.azure_subscriptions.get()
    insert_usage([usage_record(sub, day=spend.open_month(), quantity="3")])
    return plan


def test_odd_query_parameters_and_budget_bodies_are_never_a_500(api, data):
    c = str(data.customer.tenant_id)
    p = str(data.public_id)
    fails = []
    urls = []
    for v in ODD:
        for name in ("size", "currencycode", "period", "hasPartnerEarnedCredit", "provider", "seekOperation",
                     "continuationToken", "state"):
            urls += [f"{LI}?{BASE}&{name}={v}", f"{LI}.csv?{BASE}&{name}={v}", f"/v1/usage/imports?{name}={v}",
                     f"/v1/usage/unmatched?{name}={v}"]
        urls += [f"/v1/customers/{v}/usagebudget", f"/v1/customers/{c}/subscriptions/{v}/usagesummary",
                 f"/v1/usage/imports/{v}", f"/v1/customers/{v}/usagesummary",
                 f"/v1/customers/{c}/subscriptions/{v}/meterusagerecords"]
    urls += [f"/v1/customers/{c}/usagesummary", f"/v1/customers/{c}/subscriptions/{p}/usagesummary",
             f"/v1/customers/{c}/subscriptions/{p}/meterusagerecords",
             f"/v1/customers/{c}/subscriptions/{p}/resourceusagerecords", "/v1/usagesummary",
             "/v1/customers/usagerecords", f"/v1/customers/{c}/subscriptions/usagerecords"]
    for url in urls:
        try:
            r = api.get(url)
            if r.status_code >= 500:
                fails.append((url, r.status_code))
        except Exception as exc:
            fails.append((url, repr(exc)[:200]))
    bodies = [{"amount": "1"}, {"amount": {"x": 1}}, [], "x",
              {"amount": 10**30}, {"amount": -0.0}, {"Amount": 5, "amount": None}, None, 5, {"amount": 1.005}]
    for b in bodies:
        try:
            r = api.patch(f"/v1/customers/{c}/usagebudget", b, format="json")
            if r.status_code >= 500:
                fails.append(("patch", b, r.status_code))
        except Exception as exc:
            fails.append(("patch", b, repr(exc)[:200]))
    for raw in (b"{", b"\xff\xfe", b'{"amount": 1e99999}', b'{"amount": NaN}', b'{"amount": Infinity}'):
        try:
            r = api.generic("PATCH", f"/v1/customers/{c}/usagebudget", raw, content_type="application/json")
            if r.status_code >= 500:
                fails.append(("patchraw", raw, r.status_code))
        except Exception as exc:
            fails.append(("patchraw", raw, repr(exc)[:200]))
    assert not fails, fails


T = _uuid.UUID("3f1c2a4e-6b7d-4e8f-9a0b-1c2d3e4f5a6b")
S = _uuid.UUID("a1b2c3d4-0001-4000-8000-000000000001")


def test_odd_usage_batches_and_bodies_fail_the_import_not_the_server(api, org, django_capture_on_commit_callbacks):
    usage_estate(org, tenant_id=T, subscription_ids=[S])
    good = api_item(line(T, S, spend.open_month(), "2"))
    variants = [
        {"items": [1, "x", None]}, {"items": [{}]}, {"items": [{**good, "quantity": {"a": 1}}]},
        {"items": [{**good, "quantity": [1]}]}, {"items": [{**good, "quantity": True}]},
        {"items": [{**good, "quantity": "1e400"}]}, {"items": [{**good, "quantity": 1e300}]},
        {"items": [{**good, "quantity": -5}]}, {"items": [{**good, "usageDate": "2026-13-45"}]},
        {"items": [{**good, "usageDate": 12345}]}, {"items": [{**good, "usageDate": "99999-01-01"}]},
        {"items": [{**good, "usageDate": "0001-01-01"}]},
        {"items": [{**good, "customerId": "not-a-uuid"}]}, {"items": [{**good, "customerId": 5}]},
        {"items": [{**good, "entitlementId": ["x"]}]}, {"items": [{**good, "meterId": None}]},
        {"items": [{**good, "tags": {"a": 1}}]}, {"items": [{**good, "resourceUri": "x" * 100000}]},
        {"items": [{**good, "meterName": "\u0000"}]}, {"items": [{**good, "rateOfPartnerEarnedCredit": "abc"}]},
        {"items": [{**good, "rateOfPartnerEarnedCredit": 1e308}]}, {"items": [{**good, "unitPrice": "x"}]},
        {"items": [{**good, "quantity": "٣"}]}, {"items": {}}, {"items": "x"}, [], [1], {"items": [[1]]},
        {"items": [{**good, "usageDate": "2026-12-01T00:00:00Z"}]},
        {"items": [{**good, "quantity": 10**30}]},
    ]
    fails = []
    for v in variants:
        try:
            with django_capture_on_commit_callbacks(execute=True):
                r = api.post("/v1/usage/imports", v, format="json")
            if r.status_code >= 500:
                fails.append((str(v)[:150], r.status_code))
            else:
                body = r.json()
                if r.status_code == 202:
                    rec = api.get(f"/v1/usage/imports/{body['id']}").json()
                    assert rec["status"] in ("succeeded", "failed"), rec
        except Exception as exc:
            fails.append((str(v)[:150], repr(exc)[:300]))
    for raw, ct in [(b"\xff\xfe\x00", "text/csv"), (b"a,b\n1,2\n", "text/csv"), (b"\x1f\x8b garbage", "application/gzip"),
                    (b"", "text/csv"), (b"x", "application/xml"), (b"{", "application/json")]:
        try:
            with django_capture_on_commit_callbacks(execute=True):
                r = api.generic("POST", "/v1/usage/imports", raw, content_type=ct)
            if r.status_code >= 500:
                fails.append((raw, r.status_code))
        except Exception as exc:
            fails.append((raw, repr(exc)[:300]))
    assert not fails, fails


def test_odd_page_parameters_and_forms_are_never_a_500(portal_client, make_user, data, django_capture_on_commit_callbacks):
    from django.urls import reverse
    c = portal_client(make_user(Role.GLOBAL_ADMIN))
    fails = []
    spend_url = reverse("billing:spend")
    cust_url = reverse("billing:spend_customer", args=[data.customer.tenant_id])
    for v in ODD + ["9999-12", "0000-01", "2026-00", "1900-01", "٢٠٢٦-٠١", "2026-1", "2026-01-01", "x" * 5000]:
        for url in (f"{spend_url}?month={v}", f"{spend_url}?q={v}", f"{spend_url}?sort={v}", f"{spend_url}?page={v}",
                    f"{cust_url}?month={v}", reverse("billing:usage-unmatched") + f"?state={v}",
                    reverse("billing:usage-unmatched") + f"?page={v}", reverse("billing:usage-import") + f"?x={v}"):
            try:
                r = c.get(url)
                if r.status_code >= 500:
                    fails.append((url[:120], r.status_code))
            except Exception as exc:
                fails.append((url[:120], repr(exc)[:300]))
        try:
            r = c.post(reverse("billing:spend_budget", args=[data.customer.tenant_id]), {"amount": v, "month": v})
            if r.status_code >= 500:
                fails.append(("budget", v[:50], r.status_code))
        except Exception as exc:
            fails.append(("budget", v[:50], repr(exc)[:300]))
    for content in (b"\xff\xfe", b"a,b\n", b"\x1f\x8bxx"):
        try:
            with django_capture_on_commit_callbacks(execute=True):
                r = c.post(reverse("billing:usage-import"), {"file": SimpleUploadedFile("u.csv", content)})
            if r.status_code >= 500:
                fails.append(("upload", content, r.status_code))
        except Exception as exc:
            fails.append(("upload", content, repr(exc)[:300]))
    assert not fails, fails


def test_an_odd_pec_month_is_never_a_500(portal_client, make_user, data):
    from django.urls import reverse
    c = portal_client(make_user(Role.GLOBAL_ADMIN))
    sub = data.azure_subscriptions.get()
    url = reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id])
    fails = []
    for v in ODD + ["9999-12", "2999-12", "2000-01", "2026-00", "٢٠٢٦-٠١", "2026-1", "x" * 5000]:
        r = c.get(f"{url}?pec_month={v}")
        if r.status_code >= 500:
            fails.append((v, r.status_code))
    assert not fails, fails

