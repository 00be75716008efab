"""One etag algorithm (core.api.etag): what the API prints in `attributes.etag` is what If-Match accepts, also
for an order, which has no version column and whose etag follows its status (Order.etag_field)."""

import pytest

from accounts.choices import Role
from azureplan.models import Order
from azureplan.ordering import services as ordering_services
from core.api.etag import check_etag, etag_for
from core.errors import EtagMismatch
from core.testing import assert_error

from ..factories import AZURE_PLAN_US, buyable_customer

pytestmark = pytest.mark.django_db
LINE = {"catalogItemId": AZURE_PLAN_US, "quantity": 1, "billingCycle": "one_time"}


@pytest.fixture
def api(api_client_for, make_user):
    return api_client_for(make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, email="agent@a.example.com"))


@pytest.fixture
def customer(org):
    return buyable_customer(org)


def test_printed_cart_etag_is_what_if_match_accepts(api, customer):
    url = f"/v1/customers/{customer.tenant_id}/carts"
    cart = api.post(url, {"lineItems": [LINE]}, format="json").json()
    printed = api.get(f"{url}/{cart['id']}").json()["attributes"]["etag"]
    response = api.put(f"{url}/{cart['id']}", {"lineItems": [LINE]}, format="json", HTTP_IF_MATCH=printed)
    assert response.status_code == 200, response.json()
    assert response.json()["attributes"]["etag"] != printed
    assert_error(api.put(f"{url}/{cart['id']}", {"lineItems": [LINE]}, format="json", HTTP_IF_MATCH=printed),
                 412, 2055)


def test_printed_order_etag_is_core_etag_and_follows_the_status(api, customer):
    url = f"/v1/customers/{customer.tenant_id}/carts"
    cart = api.post(url, {"lineItems": [LINE]}, format="json").json()
    (printed,) = api.post(f"{url}/{cart['id']}/checkout").json()["orders"]
    order = Order.objects.get(public_id=printed["id"])
    assert printed["attributes"]["etag"] == etag_for(order)
    check_etag(order, printed["attributes"]["etag"])  # accepted

    ordering_services.order_provision(order.pk)
    order.refresh_from_db()
    assert order.status == "completed"
    done = api.get(f"/v1/customers/{customer.tenant_id}/orders/{order.public_id}").json()
    assert done["attributes"]["etag"] == etag_for(order) != printed["attributes"]["etag"]
    with pytest.raises(EtagMismatch):
        check_etag(order, printed["attributes"]["etag"])
