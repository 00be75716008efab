"""GET /v1/auditrecords filters as the audit log page does, through the same definition
(accounts.forms.AuditFilterForm): Partner Center's startDate, endDate and filter (CompanyName, CustomerId,
ResourceType), and the extensions operationType, userPrincipalName and resource. A bad filter is a 400 in
Partner Center's envelope; the organisation's scope holds whatever the filter."""

import datetime
import json
import re
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse

from accounts.actors import actor_for_user
from accounts.choices import Role
from core.audit import audit_record
from core.models import AuditEvent
from core.testing import assert_error
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ACTIONS = ("user.invited", "customer.created", "azure_plan.created", "customer.billing_profile_updated",
           "credential.created")


def _at(day, hour=12, minute=0):
    return time_machine.travel(datetime.datetime(2025, 3, day, hour, minute, tzinfo=datetime.UTC))


@pytest.fixture
def events(global_admin, make_user, other_org):
    sales = make_user(Role.SALES_AGENT, email="sales@a.example.com")
    contoso = CustomerFactory(organisation=global_admin.organisation, company_name="Contoso Ltd")
    fabrikam = CustomerFactory(organisation=global_admin.organisation, company_name="Fabrikam Inc")
    foreign = CustomerFactory(organisation=other_org, company_name="Contoso Ltd")  # another partner's namesake
    admin, seller = actor_for_user(global_admin), actor_for_user(sales)
    with _at(1):
        audit_record(actor=admin, action="user.invited", obj=sales)
    with _at(3):
        audit_record(actor=seller, action="customer.created", obj=contoso, subject=contoso)
    with _at(5):
        audit_record(actor=seller, action="azure_plan.created", object_type="azureplan.AzurePlan", object_id="p-1",
                     object_repr="Azure plan", subject=contoso)
    with _at(7):
        audit_record(actor=admin, action="customer.billing_profile_updated", obj=fabrikam, subject=fabrikam)
    with _at(9, 23, 59):
        audit_record(actor=admin, action="credential.created", object_type="accounts.ApiCredential",
                     object_id="k-9", object_repr="CI token")
    outsider = make_user(Role.GLOBAL_ADMIN, organisation=other_org, email="ga@b.example.com")
    with _at(5):
        audit_record(actor=actor_for_user(outsider), action="customer.created", obj=foreign, subject=foreign)
    return {"contoso": contoso, "fabrikam": fabrikam, "foreign": foreign}


def _filter(field, value, operator):
    return quote(json.dumps({"Field": field, "Value": value, "Operator": operator}))


def _api_actions(api, query):
    response = api.get(f"/v1/auditrecords?{query}")
    assert response.status_code == 200, response.content
    # (the API client's own token was created today: only the fixture's March events count)
    return [item["operationType"] for item in response.json()["items"] if item["operationDate"].startswith("2025-03")]


def _page_actions(client, params):
    response = client.get(reverse("accounts:settings_audit"), params)
    assert response.status_code == 200, response.content
    return [a for a in re.findall(r'<td data-action="([^"]+)"', response.content.decode()) if a in ACTIONS]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["credential.created", "customer.billing_profile_updated", "azure_plan.created", "customer.created",
          "user.invited"]),
    (f"filter={_filter('CompanyName', 'contoso', 'substring')}", ["azure_plan.created", "customer.created"]),
    (f"filter={_filter('CompanyName', 'BRIKAM', 'substring')}", ["customer.billing_profile_updated"]),
    ('filter={"field":"companyname","value":"ontos"}', ["azure_plan.created", "customer.created"]),  # any case
    (f"filter={_filter('ResourceType', 'Customer', 'equals')}", ["customer.billing_profile_updated",
                                                                  "customer.created"]),
    (f"filter={_filter('ResourceType', 'azureplan.azureplan', 'equals')}", ["azure_plan.created"]),
    (f"filter={_filter('ResourceType', 'Order', 'equals')}", []),
    ("operationType=customer.", ["customer.billing_profile_updated", "customer.created"]),
    ("userPrincipalName=SALES@", ["azure_plan.created", "customer.created"]),
    ("resource=k-9", ["credential.created"]),
    ("resource=fabrikam", ["customer.billing_profile_updated"]),
    ("startDate=2025-03-05", ["credential.created", "customer.billing_profile_updated", "azure_plan.created"]),
    ("endDate=2025-03-05", ["azure_plan.created", "customer.created", "user.invited"]),  # a date's whole day
    ("endDate=2025-03-05T12:00:00Z", ["customer.created", "user.invited"]),  # a date-time is excluded
    ("startDate=2025-03-09&endDate=2025-03-09", ["credential.created"]),
    ("STARTDATE=2025-03-02&enddate=2025-03-04", ["customer.created"]),
    (f"startDate=2025-03-04&filter={_filter('CompanyName', 'contoso', 'substring')}", ["azure_plan.created"]),
])
def test_filters(api, events, query, expected):
    assert _api_actions(api, query) == expected


def test_customer_id_filter_in_any_case(api, events):
    contoso = events["contoso"]
    for value in (str(contoso.tenant_id), str(contoso.tenant_id).upper()):
        assert _api_actions(api, f"filter={_filter('CustomerId', value, 'equals')}") == ["azure_plan.created",
                                                                                       "customer.created"]


@pytest.mark.parametrize(("page", "api_query"), [
    ({"actor": "sales@"}, "userPrincipalName=sales@"),
    ({"action": "customer."}, "operationType=customer."),
    ({"object": "CI token"}, "resource=CI%20token"),
    ({"customer": "contoso"}, f"filter={_filter('CompanyName', 'contoso', 'substring')}"),
    ({"start": "2025-03-03", "end": "2025-03-07"}, "startDate=2025-03-03&endDate=2025-03-07"),
])
def test_the_page_and_the_api_filter_alike(api, portal_client, global_admin, events, page, api_query):
    assert _page_actions(portal_client(global_admin), page) == _api_actions(api, api_query)


def test_the_page_filters_by_customer_id(portal_client, global_admin, events):
    client = portal_client(global_admin)
    assert _page_actions(client, {"customer": str(events["fabrikam"].tenant_id).upper()}) == [
        "customer.billing_profile_updated"]


def test_scope_holds_whatever_the_filter(api, events):
    foreign = events["foreign"]
    # The other partner's customer of the same name, by name or by id: none of its events.
    items = api.get(f"/v1/auditrecords?filter={_filter('CompanyName', 'Contoso', 'substring')}").json()["items"]
    assert {item["resourceId"] for item in items} == {str(events["contoso"].tenant_id), "p-1"}
    assert api.get(f"/v1/auditrecords?filter={_filter('CustomerId', str(foreign.tenant_id), 'equals')}").json()[
        "items"] == []
    assert api.get("/v1/auditrecords?userPrincipalName=ga@b.example.com").json()["items"] == []


def test_pages_follow_the_filter_and_its_token_fits_no_other(api, events):
    query = f"filter={_filter('CompanyName', 'contoso', 'substring')}"
    first = api.get(f"/v1/auditrecords?size=1&{query}").json()
    assert [i["operationType"] for i in first["items"]] == ["azure_plan.created"]
    token = first["continuationToken"]
    second = api.get("/v1" + first["links"]["next"]["uri"], HTTP_MS_CONTINUATIONTOKEN=token).json()
    assert [i["operationType"] for i in second["items"]] == ["customer.created"]
    assert "next" not in second["links"]
    assert_error(api.get("/v1/auditrecords?size=1&seekOperation=Next&operationType=customer.",
                         HTTP_MS_CONTINUATIONTOKEN=token), 400, field="MS-ContinuationToken")


@pytest.mark.parametrize(("query", "field"), [
    ("filter=contoso", "filter"),
    ("filter=%5B1%2C2%5D", "filter"),  # a JSON array
    (f"filter={_filter('UserName', 'x', 'equals')}", "filter"),
    (f"filter={_filter('CompanyName', 'x', 'equals')}", "filter"),
    (f"filter={_filter('CustomerId', 'not-a-guid', 'equals')}", "filter"),
    (f"filter={_filter('ResourceType', '', 'equals')}", "filter"),
    ('filter={"Field":"CompanyName","Value":7}', "filter"),
    (f"filter={_filter('CompanyName', 'x' * 256, 'substring')}", "filter"),
    ("startDate=yesterday", "startDate"),
    ("startDate=2024-02-30", "startDate"),
    ("endDate=2025-13-01", "endDate"),
    ("startDate=2025-03-09&endDate=2025-03-01", "endDate"),
    ("startDate=2025-03-09T10:00:00Z&endDate=2025-03-09T10:00:00Z", "endDate"),
    ("operationType=" + "u" * 101, "operationType"),
    ("userPrincipalName=" + "u" * 256, "userPrincipalName"),
])
def test_bad_filters_are_partner_center_400s(api, events, query, field):
    count = AuditEvent.objects.count()
    body = assert_error(api.get(f"/v1/auditrecords?{query}"), 400, field=field)
    assert field in body["description"]
    assert AuditEvent.objects.count() == count
