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
    assert orgs == 3 and users == 18
    reseller = Organisation.objects.get(tier="indirect_reseller")
    assert reseller.provider.tier == "indirect_provider"
    User.objects.filter(email="sales-agent@direct.example.com").update(first_name="Renamed")
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert (Organisation.objects.count(), User.objects.count()) == (orgs, users)
    assert User.objects.get(email="sales-agent@direct.example.com").first_name == "Renamed"
    assert "global-admin@direct.example.com" in out.getvalue()
