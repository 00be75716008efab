"""The fixed cost of a /v1/ bearer request, cut without changing what it does: the token lookup, the throttle and
the JSON renderer (docs/architecture.md, "Cost of an API request")."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.choices import CredentialKind, Role
from accounts.models import ApiCredential
from accounts.services import credential_authenticate, credential_create

pytestmark = pytest.mark.django_db


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


# ------------------------------------------------------------------ token lookup


def test_the_token_lookup_answers_what_select_related_answers(global_admin, django_assert_num_queries):
    credential, raw = credential_create(actor=actor_for_user(global_admin), name="script", days=7)
    expected = ApiCredential.objects.select_related("organisation", "user", "user__organisation").get(pk=credential.pk)

    found = credential_authenticate(raw)

    assert type(found) is ApiCredential and not found._state.adding and found._state.db == "default"
    assert _fields(found) | {"last_used_at": None} == _fields(expected) | {"last_used_at": None}
    with django_assert_num_queries(0):  # the related rows came with the credential
        organisation, user, user_organisation = found.organisation, found.user, found.user.organisation
    assert _fields(organisation) == _fields(expected.organisation)
    assert _fields(user) == _fields(expected.user) and user.roles == [Role.GLOBAL_ADMIN.value]
    assert _fields(user_organisation) == _fields(expected.user.organisation)
    assert model_to_dict(found)["roles"] == model_to_dict(expected)["roles"]


def test_an_application_credential_has_no_user(global_admin, django_assert_num_queries):
    _credential, raw = credential_create(actor=actor_for_user(global_admin), name="app", kind=CredentialKind.APP,
                                         roles=[Role.SALES_AGENT.value])
    found = credential_authenticate(raw)
    with django_assert_num_queries(0):
        assert found.user is None and found.organisation.pk == global_admin.organisation_id
    assert found.roles == [Role.SALES_AGENT.value] and found.kind == CredentialKind.APP


def test_last_use_is_recorded_at_most_once_a_minute(global_admin, django_assert_num_queries):
    import time_machine

    credential, raw = credential_create(actor=actor_for_user(global_admin), name="script", days=7)
    assert credential.last_used_at is None
    with django_assert_num_queries(2):  # the lookup, then the first use recorded
        credential_authenticate(raw)
    first = ApiCredential.objects.get(pk=credential.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # within the minute: the lookup only
        credential_authenticate(raw)
    assert ApiCredential.objects.get(pk=credential.pk).last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        credential_authenticate(raw)
    assert ApiCredential.objects.get(pk=credential.pk).last_used_at > first


def test_a_bearer_request_runs_the_lookup_as_one_query(api, django_assert_num_queries):
    api.get("/v1/profiles/organization")  # the first use is recorded (one more query) outside the count
    with django_assert_num_queries(1) as captured:
        response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert "accounts_apicredential" in captured.captured_queries[0]["sql"]
