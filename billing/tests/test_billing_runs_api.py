"""/v1/billingruns (extension): 202 + Location, the run followed to its invoice, the list, the refusals in Partner
Center's envelope, scoping (a foreign run is 404) and roles."""

import pytest

from accounts.choices import Role
from accounts.tests.factories import UserFactory
from core.testing import assert_error

from .factories_billrun import billed_estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return billed_estate(customers=2)


def _client(api_client_for, organisation, role=Role.BILLING_ADMIN):
    return api_client_for(UserFactory(organisation=organisation, roles=[role.value]))


def test_start_follow_and_list(api_client_for, estate, django_capture_on_commit_callbacks):
    client = _client(api_client_for, estate.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/v1/billingruns", {"month": "2026-10"}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == f"/v1/billingruns/{body['id']}"
    assert body["month"] == "2026-10" and body["trigger"] == "manual"
    assert body["attributes"] == {"objectType": "BillingRun"}
    run = client.get(response["Location"]).json()
    assert run["status"] == "succeeded" and run["invoiceId"] == "G000000001"
    assert run["progress"] == {"percent": 100, "chunksDone": 1, "chunks": 1, "linesWritten": 4}
    assert run["links"]["invoice"]["uri"] == "/invoices/G000000001"
    listing = client.get("/v1/billingruns").json()
    assert listing["totalCount"] == 1 and listing["items"][0]["id"] == body["id"]
    again = client.post("/v1/billingruns", {"month": "2026-10"}, format="json")
    assert assert_error(again, 409, 990331, name="MonthAlreadyInvoiced")["parameters"]["invoiceNumber"] == "G000000001"


def test_refusals_in_partner_centers_envelope(api_client_for, estate):
    client = _client(api_client_for, estate.organisation, Role.GLOBAL_ADMIN)
    assert_error(client.post("/v1/billingruns", {}, format="json"), 400, 800002, field="month")
    assert_error(client.post("/v1/billingruns", {"month": "2026-13"}, format="json"), 400, 800002, field="month")
    assert_error(client.post("/v1/billingruns", {"month": "2026-12"}, format="json"), 400, 800002, field="month")
    assert_error(client.post("/v1/billingruns", {"month": "2026-09"}, format="json"), 409, 990333)
    unrated = billed_estate(customers=1, rate=False)
    other = _client(api_client_for, unrated.organisation)
    body = assert_error(other.post("/v1/billingruns", {"month": "2026-10"}, format="json"), 409, 990330)
    assert len(body["data"]) == 2 and "D2 v3" in body["description"]
    agent = _client(api_client_for, estate.organisation, Role.ADMIN_AGENT)
    assert_error(agent.post("/v1/billingruns", {"month": "2026-10"}, format="json"), 403)
    assert agent.get("/v1/billingruns").status_code == 200


def test_a_foreign_run_is_not_found(api_client_for, estate, django_capture_on_commit_callbacks):
    client = _client(api_client_for, estate.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = client.post("/v1/billingruns", {"month": "202610"}, format="json").json()["id"]
    stranger = _client(api_client_for, billed_estate(customers=1).organisation)
    assert_error(stranger.get(f"/v1/billingruns/{run_id}"), 404, 990334)
    assert_error(stranger.get("/v1/billingruns/not-a-uuid"), 404, 990334)
    assert stranger.get("/v1/billingruns").json()["totalCount"] == 0
