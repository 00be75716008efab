from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiCredential, Organisation, User
from accounts.services import credential_authenticate

pytestmark = pytest.mark.django_db


def test_create_api_token_prints_only_a_working_token(global_admin):
    out = StringIO()
    call_command("create_api_token", "--email", global_admin.email.upper(), "--days", "5", stdout=out)
    token = out.getvalue().strip()
    assert "\n" not in token and token.startswith("pcp_")
    credential = credential_authenticate(token)
    assert credential.user == global_admin
    assert (credential.expires_at - credential.created_at).days == 5


def test_create_api_token_errors(global_admin):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "--email", "nobody@example.com", stdout=StringIO())
    with pytest.raises(CommandError, match="between 1 and"):
        call_command("create_api_token", "--email", global_admin.email, "--days", "0", stdout=StringIO())
    assert not ApiCredential.objects.exists()


def test_load_demo_is_idempotent_and_keeps_changes():
    call_command("load_demo", stdout=StringIO())
    orgs, users = Organisation.objects.count(), User.objects.count()
    assert orgs == 3 and users == 21  # a user per role and one Global admin + Admin agent, in each organisation
    reseller = Organisation.objects.get(tier="indirect_reseller")
    assert reseller.provider.tier == "indirect_provider"
    User.objects.filter(email="sales-agent@direct.example.com").update(first_name="Renamed")
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert (Organisation.objects.count(), User.objects.count()) == (orgs, users)
    assert User.objects.get(email="sales-agent@direct.example.com").first_name == "Renamed"
    assert "global-admin@direct.example.com" in out.getvalue()


def test_create_partner_and_first_admin(client):
    out = StringIO()
    call_command("create_partner", "--name", "Contoso CSP", "--partner-id", "1234567", "--tier", "indirect_provider",
                 "--country", "fr", "--admin-email", "Admin@Contoso.example.com", "--admin-first-name", "First",
                 "--admin-last-name", "Admin", stdout=out)
    org = Organisation.objects.get(partner_id="1234567")
    assert org.billing_currency == "EUR"
    admin = User.objects.get(email="admin@contoso.example.com")
    assert admin.roles == ["global_admin"] and admin.status == "invited"
    link = out.getvalue().strip().splitlines()[-1]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path).status_code == 200
    call_command("create_partner", "--name", "Reseller", "--partner-id", "7654321", "--tier", "indirect_reseller",
                 "--country", "BE", "--provider-partner-id", "1234567", "--admin-email", "r@reseller.example.com",
                 "--admin-first-name", "R", "--admin-last-name", "A", stdout=StringIO())
    assert Organisation.objects.get(partner_id="7654321").provider == org


def test_create_partner_refuses_bad_input():
    base = ["--name", "X", "--tier", "direct_bill", "--admin-first-name", "A", "--admin-last-name", "B"]
    with pytest.raises(CommandError, match="country"):
        call_command("create_partner", *base, "--partner-id", "1111111", "--country", "ZZ", "--admin-email",
                     "a@x.example.com", stdout=StringIO())
    with pytest.raises(CommandError, match="PartnerID"):
        call_command("create_partner", *base, "--partner-id", "12ab", "--country", "US", "--admin-email",
                     "a@x.example.com", stdout=StringIO())
    with pytest.raises(CommandError, match="provider"):
        call_command("create_partner", "--name", "R", "--tier", "indirect_reseller", "--admin-first-name", "A",
                     "--admin-last-name", "B", "--partner-id", "2222222", "--country", "US", "--admin-email",
                     "r@x.example.com", stdout=StringIO())
    assert not Organisation.objects.exists() and not User.objects.exists()


def test_token_replay_does_not_store_the_secret(api):
    from core.models import IdempotencyRecord

    first = api.post("/v1/apitokens", {"name": "once"}, format="json", HTTP_MS_REQUESTID="tok-1")
    second = api.post("/v1/apitokens", {"name": "once"}, format="json", HTTP_MS_REQUESTID="tok-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["token"].startswith("pcp_")
    assert second.json()["token"] is None and second["Idempotency-Redacted"] == "token"
    assert second.json()["id"] == first.json()["id"]
    record = IdempotencyRecord.objects.get(key="tok-1")
    assert record.response_body["token"] is None
    assert first.json()["token"] not in str(record.response_body)
