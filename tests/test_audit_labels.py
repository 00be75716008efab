"""The audit log and the home page's recent activity say what happened in words (English and French), name objects
by what people know (a billing run by its month), and show each event's request id, also for events recorded while
signing in."""

import re
from html import unescape

import pytest
from django.test import TestCase
from django.urls import reverse

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.tests.factories import UserFactory
from billing.invoicing import runs
from billing.tests.factories_billrun import MONTH, billed_estate
from core.audit import audit_record
from core.audit_actions import ACTION_LABELS, action_label
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_actions_and_a_billing_run_read_as_words_in_french(portal_client):
    data = billed_estate(customers=1)
    org = data.organisation
    billing_admin = actor_for_user(UserFactory(organisation=org, roles=[Role.BILLING_ADMIN.value],
                                               email="ba@a.example.com"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = runs.billing_run_start(actor=billing_admin, organisation_id=org.pk, month=MONTH)
    french = UserFactory(organisation=org, roles=[Role.GLOBAL_ADMIN.value], email="fr@a.example.com", language="fr")
    audit_record(actor=actor_for_user(french), action="mfa.enrolled", obj=french)
    audit_record(actor=actor_for_user(french), action="something.new", obj=french)
    client = portal_client(french)

    home = text(client.get("/"))
    assert f"Facturation mensuelle lancée · Facturation mensuelle de {MONTH:%Y-%m}" in home
    assert "Authentification multifacteur activée" in home
    assert "something.new" in home  # a code without a label shows as itself
    assert "mfa.enrolled" not in home and "billing.run_started" not in home and str(run.public_id) not in home

    log = client.get(reverse("accounts:settings_audit"))
    assert f"Facturation mensuelle de {MONTH:%Y-%m}" in text(log) and str(run.public_id) not in text(log)
    assert re.search(r'data-action="mfa.enrolled">Authentification multifacteur activée<', log.content.decode())


def test_the_labels_read_in_english_too():
    assert action_label("mfa.enrolled") == "Multi-factor authentication turned on"
    assert action_label("billing.run_started") == "Billing run started"
    assert action_label("no.such_action") == "no.such_action"


def test_every_action_the_code_records_has_a_label():
    """A new action recorded by a service gets its words in core/audit_actions.py."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    recorded = set()
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        recorded |= set(re.findall(r'action\s*=\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
    recorded |= {"product_upgrade.completed", "product_upgrade.failed"}  # f"product_upgrade.{status}"
    recorded |= {"signin.failed_password", "signin.failed_second_factor"}  # f"signin.failed_{kind}"
    assert len(recorded) > 50
    assert recorded - set(ACTION_LABELS) == set()


def test_a_sign_in_event_keeps_its_request_id_and_the_log_shows_it(client, make_user, portal_client):
    user = make_user(Role.SALES_AGENT, email="s@a.example.com")
    response = client.post("/accounts/login/", {"email": user.email, "password": "not-the-password"})
    event = AuditEvent.objects.get(action="signin.failed_password")
    assert event.request_id and event.request_id == response["MS-RequestId"]
    admin = portal_client(make_user(Role.GLOBAL_ADMIN, email="ga@a.example.com"))
    page = admin.get(reverse("accounts:settings_audit")).content.decode()
    assert f'title="{event.request_id}"' in page
    # A page action keeps the id of its request too.
    invited = admin.post(reverse("accounts:user_invite"), {"email": "x@a.example.com", "first_name": "X",
                                                           "last_name": "Y", "roles": [Role.SALES_AGENT.value]})
    assert AuditEvent.objects.get(action="user.invited").request_id == invited["MS-RequestId"]
