"""dateAgreed bounds (issue 10, items 18 and 25): an impossible date is refused before anything is written,
a stored one never breaks a read, and `repair_agreement_dates` corrects rows the old bug wrote."""

import html as htmllib
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from agreements.models import Agreement, AgreementTemplate
from core.models import AuditEvent
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
MCA = "117a77b0-9360-443b-8795-c6dedc750cf9"
BODY = {"primaryContact": {"firstName": "Tania", "lastName": "Carr", "email": "someone@example.com"},
        "templateId": MCA, "type": "MicrosoftCustomerAgreement"}


@pytest.fixture
def agent(make_user):
    return make_user(Role.ADMIN_AGENT, email="agent@a.example.com")


@pytest.fixture
def customer(org):
    return CustomerFactory(organisation=org)


def state():
    return Agreement.objects.count(), AuditEvent.objects.count()


def url(customer):
    return f"/v1/customers/{customer.tenant_id}/agreements"


def poison(customer, date_sql, *, email="old@example.com", created_at="2024-05-02 09:30:00+00"):
    """Write a row as the old bug did: straight into the table, with a date Python cannot read back."""
    template = AgreementTemplate.objects.get(template_id=MCA)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO agreements_agreement (public_id, customer_id, organisation_id, template_id, agreement_type, "
            "source, first_name, last_name, email, phone_number, date_agreed, attested_by_label, created_at) "
            "VALUES (gen_random_uuid(), %s, %s, %s, 'MicrosoftCustomerAgreement', 'partner_attestation', 'Old', "
            "'Row', %s, '', %s::timestamptz, 'agent', %s::timestamptz) RETURNING id",
            [customer.pk, customer.organisation_id, template.pk, email, date_sql, created_at])
        return cursor.fetchone()[0]


def raw_date(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT date_agreed::text FROM agreements_agreement WHERE id = %s", [pk])
        return cursor.fetchone()[0]


class TestApiRefusesBeforeWriting:
    @pytest.mark.parametrize("value", [
        "0001-01-01T00:00:00+14:00",  # the body: 0000-12-31 in UTC, outside Python's range
        "0001-01-01",                 # was accepted with 201
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "2017-12-31T23:59:59Z",       # before the Microsoft Customer Agreement existed
        "1970-01-01",
    ])
    def test_out_of_range_is_400_and_nothing_is_written(self, api_client_for, agent, customer, value):
        client = api_client_for(agent)
        before = state()
        for _attempt in range(2):  # a retry gets the same 400, never 409: nothing was stored the first time
            response = client.post(url(customer), {**BODY, "dateAgreed": value}, format="json")
            assert response.status_code == 400, response.json()
            data = response.json()
            assert data["code"] == 800002 and data["errorName"] == "InvalidInput"
            assert data["parameters"]["field"] == "dateAgreed"
            assert "dateAgreed" in data["description"]
            assert state() == before
        assert client.get(url(customer)).status_code == 200

    def test_offsets_are_normalised_to_utc(self, api_client_for, agent, customer):
        response = api_client_for(agent).post(url(customer), {**BODY, "dateAgreed": "2024-06-14T08:00:00+14:00"},
                                              format="json")
        assert response.status_code == 201, response.json()
        agreement = Agreement.objects.get()
        assert agreement.date_agreed == datetime(2024, 6, 13, 18, 0, tzinfo=UTC)
        assert response.json()["dateAgreed"].startswith("2024-06-13T18:00:00")
        assert raw_date(agreement.pk) == "2024-06-13 18:00:00+00"

    def test_the_first_day_and_today_are_accepted(self, api_client_for, agent, customer):
        client = api_client_for(agent)
        first = client.post(url(customer), {**BODY, "dateAgreed": "2018-01-01"}, format="json")
        assert first.status_code == 201, first.json()
        today = client.post(url(customer), {**BODY, "dateAgreed": timezone.now().isoformat(),
                                            "primaryContact": {**BODY["primaryContact"], "phoneNumber": "+1 425 555 0199"}},
                            format="json")
        assert today.status_code == 201, today.json()


class TestReadsNeverBreak:
    @pytest.mark.parametrize("date_sql", [
        "0001-01-01 00:00:00+14:00",   # what the body stored: year 0 in UTC
        "0001-01-01 00:00:00+00",      # readable, but breaks on any conversion to a western offset
        "10000-01-01 00:00:00+00",     # after year 9999
    ])
    def test_api_and_page_read_a_poisoned_row(self, api_client_for, portal_client, agent, customer, date_sql):
        poison(customer, date_sql)
        response = api_client_for(agent).get(url(customer))
        assert response.status_code == 200
        assert response.json()["totalCount"] == 1 and response.json()["items"][0]["dateAgreed"]
        page = portal_client(agent).get(reverse("customers:customer_detail", args=[customer.tenant_id]))
        assert page.status_code == 200
        assert "Old Row" in page.content.decode()
        # the customer's list page and the purchase gate read the row too
        assert portal_client(agent).get(reverse("customers:customer_list")).status_code == 200


def field_errors(response):
    text = response.content.decode()
    return {name: htmllib.unescape(message) for name, message in re.findall(r'data-field-error="([^"]+)">([^<]*)<', text)}


class TestPage:
    def form(self, date_agreed):
        return {"first_name": "Jo", "last_name": "Buyer", "email": "jo@contoso.example.com", "phone_number": "",
                "date_agreed": date_agreed}

    @pytest.mark.parametrize("value,message", [
        ((timezone.now() + timedelta(days=2)).date().isoformat(),
         "The date the customer accepted cannot be later than today"),
        ("0001-01-01", "The Microsoft Customer Agreement did not exist before"),
        ("2017-12-31", "The Microsoft Customer Agreement did not exist before"),
    ])
    def test_bad_date_is_said_in_words_beside_the_field(self, portal_client, agent, customer, value, message):
        before = state()
        response = portal_client(agent).post(reverse("agreements:customer_attest", args=[customer.tenant_id]),
                                             self.form(value))
        assert response.status_code == 400
        errors = field_errors(response)
        assert list(errors) == ["date_agreed"], errors
        assert message in errors["date_agreed"]
        assert "dateAgreed" not in errors["date_agreed"]
        assert 'min="2018-01-01"' in response.content.decode()
        assert state() == before


class TestFrench:
    def test_the_api_says_the_date_bounds_in_french(self, api_client_for, agent, customer):
        client = api_client_for(agent)
        early = client.post(url(customer), {**BODY, "dateAgreed": "2017-12-31"}, format="json", HTTP_X_LOCALE="fr-FR")
        assert early.status_code == 400
        assert early.json()["description"] == ("dateAgreed ne peut pas être antérieure au 2018-01-01 (UTC) : le "
                                               "Contrat client Microsoft n'existait pas avant.")
        future = (timezone.now() + timedelta(days=2)).date().isoformat()
        late = client.post(url(customer), {**BODY, "dateAgreed": future}, format="json", HTTP_X_LOCALE="fr-FR")
        assert late.status_code == 400 and "ne peut pas être dans le futur" in late.json()["description"]
        english = client.post(url(customer), {**BODY, "dateAgreed": "2017-12-31"}, format="json")
        assert "must not be before 2018-01-01" in english.json()["description"]

    def test_the_page_says_the_date_bounds_in_french(self, portal_client, agent, customer):
        agent.language = "fr"
        agent.save(update_fields=["language"])
        client = portal_client(agent)
        page = reverse("agreements:customer_attest", args=[customer.tenant_id])
        form = TestPage().form("2017-12-31")
        message = field_errors(client.post(page, form))["date_agreed"]
        assert message.startswith("Le Contrat client Microsoft n'existait pas avant le ")
        assert message.endswith(" : entrez le jour où le client l'a accepté.")
        form["date_agreed"] = (timezone.now() + timedelta(days=2)).date().isoformat()
        message = field_errors(client.post(page, form))["date_agreed"]
        assert message.startswith("La date d'acceptation par le client ne peut pas être postérieure à aujourd'hui")


class TestRepair:
    def run(self, *args):
        out = StringIO()
        call_command("repair_agreement_dates", *args, stdout=out)
        return out.getvalue()

    def test_dry_run_lists_then_the_run_corrects_with_an_audit_event(self, api_client_for, portal_client, agent,
                                                                       customer):
        client = api_client_for(agent)
        good = client.post(url(customer), {**BODY, "dateAgreed": "2024-06-14"}, format="json")
        assert good.status_code == 201
        year_zero = poison(customer, "0001-01-01 00:00:00+14:00", email="zero@example.com")
        too_early = poison(customer, "2015-03-01 00:00:00+00", email="early@example.com")
        too_late = poison(customer, "10000-01-01 00:00:00+00", email="late@example.com",
                          created_at="2024-07-01 12:00:00+00")
        raw_before = {pk: raw_date(pk) for pk in (year_zero, too_early, too_late)}
        before = state()

        out = self.run("--dry-run")
        assert "3 agreement(s) would be corrected (dry run: nothing changed)." in out
        assert "0001-12-31 10:00:00+00 BC (before 2018-01-01) -> 2024-05-02T09:30:00+00:00" in out
        assert "10000-01-01 00:00:00+00 (after it was recorded) -> 2024-07-01T12:00:00+00:00" in out
        assert state() == before and {pk: raw_date(pk) for pk in raw_before} == raw_before

        out = self.run()
        assert "3 agreement(s) corrected." in out
        assert raw_date(year_zero) == raw_date(too_early) == "2024-05-02 09:30:00+00"
        assert raw_date(too_late) == "2024-07-01 12:00:00+00"
        assert Agreement.objects.get(email="someone@example.com").date_agreed == datetime(2024, 6, 14, tzinfo=UTC)
        events = AuditEvent.objects.filter(action="agreement.date_repaired").order_by("pk")
        assert [e.data["stored"] for e in events] == [raw_before[year_zero], raw_before[too_early],
                                                      raw_before[too_late]]
        for event in events:
            assert event.actor_label == "manage.py repair_agreement_dates"
            assert event.data["command"] == "repair_agreement_dates"
            assert event.organisation_id == customer.organisation_id
            assert event.subject_type == "customers.Customer" and event.object_type == "agreements.Agreement"
        assert Agreement.objects.count() == before[0]  # corrected in place, nothing added or removed

        items = client.get(url(customer)).json()["items"]
        assert sorted(i["dateAgreed"][:10] for i in items) == ["2024-05-02", "2024-05-02", "2024-06-14",
                                                               "2024-07-01"]
        page = portal_client(agent).get(reverse("customers:customer_detail", args=[customer.tenant_id])).content.decode()
        assert "Agreement date corrected" in page and "repair_agreement_dates" in page
        after = state()
        assert "0 agreement(s) corrected." in self.run()  # a second run finds nothing
        assert state() == after

    def test_the_repair_switch_lets_only_the_date_through(self, customer):
        from django.db import DatabaseError, transaction

        pk = poison(customer, "0001-01-01 00:00:00+14:00")
        with pytest.raises(DatabaseError), transaction.atomic():
            Agreement.objects.filter(pk=pk).update(date_agreed=datetime(2024, 1, 1, tzinfo=UTC))
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('agreements.repair_dates', 'on', true)")
            Agreement.objects.filter(pk=pk).update(email="changed@example.com")
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('agreements.repair_dates', 'on', true)")
            Agreement.objects.filter(pk=pk).delete()
        assert raw_date(pk) == "0001-12-31 10:00:00+00 BC"
