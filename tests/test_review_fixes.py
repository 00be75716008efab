"""Found by a review of this session's changes: inputs that answered 500 (a bug) now get a clear answer."""

import gzip
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.actors import system_actor
from accounts.choices import Role
from billing.pricing import demo_data

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


@pytest.mark.parametrize("target", ["x", "admin:index", "//evil.example.com/", "https://evil.example.com/"])
def test_sign_in_never_follows_a_next_that_is_not_a_path_of_this_site(portal_client, make_user, target):
    client = portal_client(make_user(Role.GLOBAL_ADMIN))
    response = client.get(reverse("accounts:login"), {"next": target})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:dashboard")


def test_sign_in_follows_a_next_path_of_this_site(portal_client, make_user):
    client = portal_client(make_user(Role.GLOBAL_ADMIN))
    response = client.get(reverse("accounts:login"), {"next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"


@pytest.fixture
def two_months(org):
    with time_machine.travel(NOW, tick=False):
        from billing.pricing import services

        actor = system_actor(org, label="test")
        for month in ("202611", "202612"):
            content = gzip.decompress((demo_data.MEDIA / f"pricesheet-US-azure_consumption-{month}.csv.gz").read_bytes())
            services.price_sheet_import(actor=actor, file=content, market="US", view="azure_consumption", month=month,
                                        file_name=f"{month}.csv")
        yield


def test_a_huge_page_number_is_the_last_page_not_a_500(portal_client, make_user, two_months):
    client = portal_client(make_user(Role.GLOBAL_ADMIN))
    with time_machine.travel(NOW, tick=False):
        assert client.get(reverse("billing:pricing"), {"page": "99999999999999999999"}).status_code == 200
        compare = client.get(reverse("billing:pricing_compare"), {
            "market": "US", "view": "azure_consumption", "from": "202611", "to": "202612",
            "page": "99999999999999999999"})
        assert compare.status_code == 200


@pytest.mark.parametrize("url", ["/pricing/exchange-rates/202613.csv", "/pricing/downloads/US/bogus/202601.csv",
                                 "/pricing/downloads/US/azure_consumption/202613.csv"])
def test_a_download_url_no_list_can_have_is_404_not_a_500(portal_client, make_user, url):
    client = portal_client(make_user(Role.GLOBAL_ADMIN))
    client.raise_request_exception = False
    assert client.get(url).status_code == 404
