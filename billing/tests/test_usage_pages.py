"""The usage pages of the Billing workspace (Django's test client): upload, an import's page and its htmx progress
partial, the unmatched list; roles and tenancy."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.choices import Role
from billing.models import UsageImport, UsageRecord

from .factories_usageingest import line, usage_csv, usage_estate

pytestmark = [pytest.mark.django_db]
TENANT = uuid.UUID("3f1c2a4e-6b7d-4e8f-9a0b-1c2d3e4f5a6b")
SUB = uuid.UUID("a1b2c3d4-0001-4000-8000-000000000001")


@pytest.fixture
def estate(org):
    return usage_estate(org, tenant_id=TENANT, subscription_ids=[SUB])


def _upload(client, content, captured):
    with captured(execute=True):
        return client.post(reverse("billing:usage-import"), {"file": SimpleUploadedFile("u.csv", content)})


def test_upload_runs_the_import_and_shows_the_report(portal_client, make_user, estate,
                                                     django_capture_on_commit_callbacks):
    client = portal_client(make_user(Role.BILLING_ADMIN))
    assert client.get(reverse("billing:usage-import")).status_code == 200
    content = usage_csv([line(TENANT, SUB, "2026-12-01", 2), line(TENANT, uuid.uuid4(), "2026-12-01", 1)])
    response = _upload(client, content, django_capture_on_commit_callbacks)
    record = UsageImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("billing:usage-import-detail",
                                                                         args=[record.public_id])
    page = client.get(response["Location"])
    assert b'data-testid="rows-added">1<' in page.content and b"unmatched-rows" in page.content
    assert b"hx-get" not in page.content  # finished: no more polling
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert b"usage-import-progress" in partial.content and b"<html" not in partial.content
    assert UsageRecord.objects.count() == 1
    listing = client.get(reverse("billing:usage-unmatched"))
    assert listing.status_code == 200 and b"unmatched-rows" in listing.content
    assert client.get(reverse("billing:usage-unmatched") + "?state=matched").status_code == 200


def test_an_empty_file_is_refused_beside_the_field(portal_client, make_user, estate,
                                                   django_capture_on_commit_callbacks):
    client = portal_client(make_user(Role.GLOBAL_ADMIN))
    response = _upload(client, b"", django_capture_on_commit_callbacks)
    assert response.status_code == 400 and b'data-field-error="file"' in response.content
    assert not UsageImport.objects.exists()


def test_roles_and_tenancy(portal_client, make_user, other_org, estate, django_capture_on_commit_callbacks):
    agent = portal_client(make_user(Role.ADMIN_AGENT))
    page = agent.get(reverse("billing:usage-import"))
    assert page.status_code == 200 and b"usage-import-form" not in page.content  # reads, cannot upload
    assert _upload(agent, usage_csv([line(TENANT, SUB, "2026-12-01", 2)]),
                   django_capture_on_commit_callbacks).status_code == 403
    assert portal_client(make_user(Role.SALES_AGENT)).get(reverse("billing:usage-import")).status_code == 403
    admin = portal_client(make_user(Role.BILLING_ADMIN))
    _upload(admin, usage_csv([line(TENANT, SUB, "2026-12-01", 2)]), django_capture_on_commit_callbacks)
    record = UsageImport.objects.get()
    stranger = portal_client(make_user(Role.GLOBAL_ADMIN, organisation=other_org))
    assert stranger.get(reverse("billing:usage-import-detail", args=[record.public_id])).status_code == 404


def test_the_report_is_written_in_the_language_of_who_started_the_import(portal_client, make_user, estate,
                                                                         django_capture_on_commit_callbacks):
    """The import runs in a task, but its report (what is wrong, line by line) is written in the language of the
    page that started it: a French Billing admin reads French."""
    from django.utils import translation

    client = portal_client(make_user(Role.BILLING_ADMIN, language="fr"))
    content = usage_csv([line(TENANT, SUB, "2026-12-01", "12,5x")])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("billing:usage-import"), {"file": SimpleUploadedFile("u.csv", content)})
    translation.activate("en")  # as a worker runs the task: in no request's language
    for callback in callbacks:
        callback()
    record = UsageImport.objects.get()
    assert response.status_code == 302 and record.report["status"] == "failed"
    assert record.report["errors"][0]["reason"] == "Quantity “12,5x” n’est pas un nombre.", record.report
    assert record.report["message"].startswith("1 problème dans le fichier de consommation (ligne 2, Quantity : ")
    assert "Rien n’a été importé." in record.report["message"]
    assert "Quantity “12,5x” n’est pas un nombre." in client.get(response["Location"]).content.decode()


def test_the_summary_reads_in_the_readers_language(portal_client, make_user, estate,
                                                  django_capture_on_commit_callbacks):
    """An import an English user started reads in French on a French user's page (and the other way round): the
    summary is written from the import's counts in the reader's language."""
    english = portal_client(make_user(Role.BILLING_ADMIN, email="en@a.example.com"))
    content = usage_csv([line(TENANT, SUB, "2026-12-01", 2), line(TENANT, uuid.uuid4(), "2026-12-01", 1)])
    first = _upload(english, content, django_capture_on_commit_callbacks)["Location"]
    again = _upload(english, content, django_capture_on_commit_callbacks)["Location"]
    record = UsageImport.objects.order_by("created_at", "id").first()
    assert record.report["message"].startswith("2 usage lines read: 1 row added, 0 replaced, 0 rows unchanged, "
                                                "1 kept aside (unmatched), 0 not rated (legacy).")
    assert "2 usage lines read: 1 row added" in english.get(first).content.decode()
    french = portal_client(make_user(Role.BILLING_ADMIN, email="fr@a.example.com", language="fr"))
    page = french.get(first).content.decode()
    assert ("2 lignes de consommation lues : 1 ligne ajoutée, 0 remplacée, 0 ligne inchangée, 1 mise de côté "
            "(non rapprochée), 0 non valorisée (ancienne offre).") in page
    assert "usage lines read" not in page
    same = french.get(again).content.decode()
    assert "Ce fichier a déjà été importé (import du " in same and "already imported" not in same
