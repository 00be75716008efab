"""POST /v1/productUpgrades/batches: customerIds and allEligible together is 400/800002, as docs/api.md says,
also when the list is empty; nothing is started."""

import pytest

from accounts.actors import actor_for_user
from azureplan.models import ProductUpgrade
from azureplan.tests.factories import buyable_customer, legacy_estate
from core.models import Job
from core.testing import assert_error

pytestmark = pytest.mark.django_db
BATCHES = "/v1/productUpgrades/batches"


@pytest.fixture
def eligible(org, global_admin):
    customer = buyable_customer(org)
    legacy_estate(actor_for_user(global_admin), customer, 1)
    return customer


@pytest.mark.parametrize("body", [
    {"customerIds": [], "allEligible": True},
    {"CustomerIds": [], "AllEligible": True},
    {"customerIds": [""], "allEligible": True},
])
def test_both_given_is_400_even_with_an_empty_list(api, eligible, body):
    assert_error(api.post(BATCHES, body, format="json"), 400, 800002, "customerIds")
    assert not Job.objects.exists() and not ProductUpgrade.objects.exists()


@pytest.mark.parametrize("body", [{}, {"customerIds": []}, {"allEligible": False}, {"customerIds": None}])
def test_neither_given_is_400(api, eligible, body):
    assert_error(api.post(BATCHES, body, format="json"), 400, 800002, "customerIds")
    assert not Job.objects.exists()


def test_all_eligible_alone_or_with_a_null_list_starts_a_batch(api, eligible):
    response = api.post(BATCHES, {"customerIds": None, "allEligible": True}, format="json")
    assert response.status_code == 202, response.content
    assert Job.objects.count() == 1
