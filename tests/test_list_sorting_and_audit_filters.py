"""The customer list sorts by each of its columns; the audit log filters by actor, action, object and days."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.models import Country
from core.audit import audit_record
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _names(response):
    return re.findall(r'data-customer-row="[^"]*"><td><a [^>]*>([^<]+)</a>',
                      response.content.decode())


@pytest.fixture
def customers(org):
    ca, de = Country.objects.get(code="CA"), Country.objects.get(code="US")
    rows = []
    with time_machine.travel(datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)) as traveller:
        for name, domain, country in (("Bravo", "alpha.onmicrosoft.com", de), ("Charlie", "charlie.onmicrosoft.com", ca),
                                      ("Alpha", "zulu.onmicrosoft.com", de)):
            rows.append(CustomerFactory(organisation=org, company_name=name, domain=domain, country=country))
            traveller.shift(datetime.timedelta(days=1))
    return rows


@pytest.mark.parametrize(("sort", "expected"), [
    ("", ["Alpha", "Bravo", "Charlie"]),
    ("name", ["Alpha", "Bravo", "Charlie"]),
    ("-name", ["Charlie", "Bravo", "Alpha"]),
    ("domain", ["Bravo", "Charlie", "Alpha"]),
    ("-domain", ["Alpha", "Charlie", "Bravo"]),
    ("country", ["Charlie", "Alpha", "Bravo"]),  # Canada before United States, then by name
    ("added", ["Bravo", "Charlie", "Alpha"]),
    ("-added", ["Alpha", "Charlie", "Bravo"]),
    ("nonsense", ["Alpha", "Bravo", "Charlie"]),  # an unknown key is the default order
])
def test_customer_list_sorts_by_each_column(portal_client, global_admin, customers, sort, expected):
    client = portal_client(global_admin)
    response = client.get(reverse("customers:customer_list"), {"sort": sort} if sort else {})
    assert response.status_code == 200
    assert _names(response) == expected


def test_headers_are_sort_links_that_keep_the_filters(portal_client, global_admin, customers):
    client = portal_client(global_admin)
    html = client.get(reverse("customers:customer_list"), {"sort": "domain", "q": "", "country": "US",
                                                           "page": "1"}).content.decode()
    for key in ("name", "domain", "country", "relationship", "added"):
        assert f'data-sort="{key}"' in html
    # The active column links to the descending order, keeps the country filter, and drops the page number.
    link = re.search(r'aria-sort="ascending"><a [^>]*data-sort="domain" href="([^"]+)"', html).group(1)
    assert "sort=-domain" in link and "country=US" in link and "page=" not in link
    assert re.search(r'aria-sort="none"><a [^>]*data-sort="name" href="[^"]*sort=name', html)


def test_relationship_and_reseller_sorts_answer(portal_client, global_admin, customers):
    client = portal_client(global_admin)
    for sort in ("relationship", "-relationship", "reseller", "-reseller", "-country"):
        assert client.get(reverse("customers:customer_list"), {"sort": sort}).status_code == 200


@pytest.fixture
def events(global_admin, make_user):
    sales = make_user(Role.SALES_AGENT, email="sales@a.example.com")
    with time_machine.travel(datetime.datetime(2025, 3, 1, 12, tzinfo=datetime.UTC)):
        audit_record(actor=actor_for_user(global_admin), action="user.invited", obj=sales)
    with time_machine.travel(datetime.datetime(2025, 3, 5, 12, tzinfo=datetime.UTC)):
        audit_record(actor=actor_for_user(sales), action="customer.created", object_type="customers.Customer",
                     object_id="c-123", object_repr="Contoso Ltd")
    with time_machine.travel(datetime.datetime(2025, 3, 9, 23, 59, tzinfo=datetime.UTC)):
        audit_record(actor=actor_for_user(global_admin), action="credential.created", object_type="x",
                     object_id="k-9", object_repr="CI token")


def _actions(response):
    return re.findall(r'<td data-action="([^"]+)"', response.content.decode())


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["credential.created", "customer.created", "user.invited"]),
    ({"actor": "sales@"}, ["customer.created"]),
    ({"actor": "GA@A.EXAMPLE"}, ["credential.created", "user.invited"]),
    ({"action": "c"}, ["credential.created", "customer.created"]),
    ({"object": "contoso"}, ["customer.created"]),
    ({"object": "k-9"}, ["credential.created"]),
    ({"start": "2025-03-05"}, ["credential.created", "customer.created"]),
    ({"end": "2025-03-05"}, ["customer.created", "user.invited"]),
    ({"start": "2025-03-09", "end": "2025-03-09"}, ["credential.created"]),  # the last day is inclusive
    ({"start": "2025-03-02", "end": "2025-03-04"}, []),
    ({"actor": "ga@", "action": "user.", "start": "2025-03-01"}, ["user.invited"]),
])
def test_audit_log_filters(portal_client, global_admin, events, params, expected):
    response = portal_client(global_admin).get(reverse("accounts:settings_audit"), params)
    assert response.status_code == 200
    assert [a for a in _actions(response) if a in ("credential.created", "customer.created", "user.invited")] == expected


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "yesterday"}, "start"), ({"end": "2025-13-01"}, "end"),
    ({"start": "2025-03-09", "end": "2025-03-01"}, "end"),
])
def test_bad_audit_filters_are_shown_beside_the_field(portal_client, global_admin, events, params, field):
    response = portal_client(global_admin).get(reverse("accounts:settings_audit"), params)
    assert response.status_code == 400
    assert f'data-field-error="{field}"' in response.content.decode()
    assert 'data-testid="audit-events"' not in response.content.decode()
