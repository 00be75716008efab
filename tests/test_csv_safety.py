"""Every CSV the product writes neutralises formula-looking text (core.csv); a refused legacy import lists the
first 1,000 problems with their total count."""

import csv
import io
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.choices import Role
from azureplan.legacy.rules import MAX_REPORTED_PROBLEMS
from azureplan.models import LegacySubscription
from azureplan.tests.factories import buyable_customer, legacy_csv
from core import csv as core_csv


@pytest.mark.parametrize("text", ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "=HYPERLINK(\"x\")",
                                  "\tindent", "-", "+", "=", "@", "-5.2x"])
def test_formula_text_is_neutralised(text):
    assert core_csv.safe_cell(text) == "'" + text
    row = next(csv.reader(io.StringIO(core_csv.to_text([[text]]))))
    assert row == ["'" + text]


@pytest.mark.parametrize("value", [-5, 0, 12, Decimal("-5.20"), Decimal("3.14"), -1.5])
def test_numbers_are_untouched(value):
    assert core_csv.safe_cell(value) == value
    assert core_csv.to_text([[value]]) == f"{value}\n"


@pytest.mark.parametrize("text", ["-5.2", "+3", "-0", "1e-3", "-1.5E+10", ".5", "-.5", "Contoso", "a=b", "x@y.z", ""])
def test_plain_numbers_and_ordinary_text_are_untouched(text):
    assert core_csv.safe_cell(text) == text


def test_none_is_an_empty_cell():
    assert core_csv.to_text([[None, "a"]]) == ",a\n"


def test_csv_response_is_an_attachment():
    response = core_csv.csv_response([["name"], ["=cmd"]], filename="x.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.content.decode() == "name\n'=cmd\n"


@pytest.mark.django_db
def test_the_legacy_template_goes_through_the_safe_writer(portal_client, make_user):
    client = portal_client(make_user(Role.GLOBAL_ADMIN))
    response = client.get(reverse("azureplan:legacy_import_template"))
    assert response.status_code == 200 and response["Content-Disposition"].endswith('"legacy-azure-template.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["customerId", "subscriptionId", "friendlyName", "resellerPartnerId", "createdDate"]
    assert len(rows) == 3 and rows[1][2] == "Contoso production"


@pytest.fixture
def customer(org):
    return buyable_customer(org)


def _many_bad(customer, n):
    return legacy_csv([(customer, "not-a-guid", f"Bad {i}") for i in range(n)])


@pytest.mark.django_db
def test_api_lists_the_first_1000_problems_with_the_total(api, customer):
    response = api.post("/v1/legacySubscriptions/imports", _many_bad(customer, 1500), content_type="text/csv")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 800002 and body["errorName"] == "LegacyImportInvalid"
    assert len(body["data"]) == MAX_REPORTED_PROBLEMS == 1000
    assert body["data"][0]["line"] == 2 and body["data"][-1]["line"] == 1001
    assert body["parameters"]["totalCount"] == 1500 and body["parameters"]["badRows"] == 1500
    assert body["parameters"]["rows"] == 1500
    assert "1500 of 1500 rows are wrong" in body["description"]
    assert len(response.content) < 200_000
    assert not LegacySubscription.objects.exists()


@pytest.mark.django_db
def test_a_few_problems_are_all_listed(api, customer):
    content = legacy_csv([(customer, uuid.uuid4(), "Good"), (customer, "x", "Bad")])
    body = api.post("/v1/legacySubscriptions/imports", content, content_type="text/csv").json()
    assert [row["line"] for row in body["data"]] == [3] and body["parameters"]["totalCount"] == 1


@pytest.mark.django_db
def test_page_shows_the_first_1000_and_a_count_line(portal_client, make_user, customer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = portal_client(make_user(Role.GLOBAL_ADMIN))
    upload = SimpleUploadedFile("bad.csv", _many_bad(customer, 1200), content_type="text/csv")
    response = client.post(reverse("azureplan:legacy_import"), {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "1200 problems found: nothing was imported" in html
    assert "The first 1000 of 1200 problems are listed." in html
    table = html.split('data-testid="bad-rows"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1000 + 1  # the header row and 1,000 problems
    assert not LegacySubscription.objects.exists()
