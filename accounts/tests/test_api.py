"""The /v1/ API of organisations, users, tokens, audit records and jobs."""

import uuid

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.choices import Role, Tier
from accounts.models import ApiCredential, User
from core.models import AuditEvent, IdempotencyRecord

pytestmark = pytest.mark.django_db


def test_organization_profile(api, org):
    response = api.get("/v1/profiles/organization")
    assert response.status_code == 200
    body = response.json()
    assert body["tenantId"] == str(org.tenant_id)
    assert body["partnerId"] == org.partner_id
    assert body["billingCurrency"] == "USD" and body["market"] == "united_states"
    assert body["attributes"]["objectType"] == "OrganizationProfile" and body["attributes"]["etag"]
    assert response["Content-Type"].startswith("application/json")


def test_missing_and_bad_token_answer_800001():
    client = APIClient()
    response = client.get("/v1/users")
    assert response.status_code == 401
    assert response.json()["code"] == 800001
    assert response["WWW-Authenticate"].startswith("Bearer")
    client.credentials(HTTP_AUTHORIZATION="Bearer pcp_not-a-real-token")
    response = client.get("/v1/users")
    assert response.status_code == 401 and response.json()["errorName"] == "PartnerTokenMissing"
    client.credentials(HTTP_AUTHORIZATION="Basic abc")
    assert client.get("/v1/users").status_code == 401


def test_revoked_token_is_refused_and_nothing_changes(api, global_admin):
    credential = ApiCredential.objects.get(user=global_admin)
    response = api.post(f"/v1/apitokens/{credential.public_id}/revoke")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    count = User.objects.count()
    response = api.post("/v1/users", {"email": "x@a.example.com", "firstName": "X", "lastName": "Y",
                                      "roles": []}, format="json")
    assert response.status_code == 401
    assert "revoked" in response.json()["description"]
    assert User.objects.count() == count


def test_correlation_and_request_ids_are_returned(api):
    response = api.get("/v1/profiles/organization", HTTP_MS_CORRELATIONID="corr-123", HTTP_MS_REQUESTID="req-456")
    assert response["MS-CorrelationId"] == "corr-123"
    assert response["MS-RequestId"] == "req-456"
    response = api.get("/v1/profiles/organization")
    uuid.UUID(response["MS-RequestId"])
    uuid.UUID(response["MS-CorrelationId"])


class TestUsers:
    def test_invite_in_pascal_case_and_read_back(self, api, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/v1/users", {"Email": "agent@a.example.com", "FirstName": "Sales",
                                              "LastName": "Agent", "Roles": ["sales_agent"]}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["email"] == "agent@a.example.com" and body["roles"] == ["sales_agent"]
        assert body["status"] == "invited" and body["attributes"]["objectType"] == "PartnerUser"
        assert response["Location"] == f"/v1/users/{body['id']}"
        assert len(mail.outbox) == 1
        got = api.get(f"/v1/users/{body['id']}").json()
        assert got["id"] == body["id"] and got["attributes"]["etag"]

    def test_wrong_type_names_the_field_and_changes_nothing(self, api):
        count = User.objects.count()
        response = api.post("/v1/users", {"email": "a@a.example.com", "firstName": "A", "lastName": "B",
                                          "roles": "sales_agent"}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == 800002 and body["errorName"] == "InvalidInput"
        assert body["parameters"]["field"] == "roles"
        assert set(body) >= {"code", "description", "errorName", "message", "isRetryable", "parameters", "data",
                             "source"}
        assert User.objects.count() == count

    def test_unknown_role_and_missing_field(self, api):
        count = User.objects.count()
        response = api.post("/v1/users", {"email": "a@a.example.com", "firstName": "A", "lastName": "B",
                                          "roles": ["owner"]}, format="json")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "roles"
        response = api.post("/v1/users", {"email": "a@a.example.com", "roles": []}, format="json")
        assert response.status_code == 400 and response.json()["parameters"]["field"] in {"firstName", "lastName"}
        assert User.objects.count() == count

    def test_malformed_json(self, api):
        count = User.objects.count()
        response = api.post("/v1/users", data='{"email": "a@', content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == 800002 and "JSON" in response.json()["description"]
        assert User.objects.count() == count

    def test_body_that_is_not_an_object(self, api):
        response = api.post("/v1/users", data="[1, 2]", content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == 800002

    def test_role_lacking_is_403_with_the_roles_needed(self, api_client_for, make_user):
        agent = make_user(Role.SALES_AGENT)
        client = api_client_for(agent)
        count = User.objects.count()
        response = client.post("/v1/users", {"email": "z@a.example.com", "firstName": "Z", "lastName": "Z",
                                             "roles": []}, format="json")
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == 2032 and "Global admin" in body["description"]
        assert User.objects.count() == count
        assert client.get("/v1/users").status_code == 403
        # everyone reads their own record
        assert client.get(f"/v1/users/{agent.public_id}").status_code == 200

    def test_patch_with_etag_and_stale_etag(self, api, make_user):
        agent = make_user(Role.SALES_AGENT)
        etag = api.get(f"/v1/users/{agent.public_id}").json()["attributes"]["etag"]
        response = api.patch(f"/v1/users/{agent.public_id}", {"roles": ["sales_agent", "helpdesk_agent"]},
                             format="json", HTTP_IF_MATCH=f'"{etag}"')
        assert response.status_code == 200
        assert response.json()["roles"] == ["sales_agent", "helpdesk_agent"]
        assert response.json()["attributes"]["etag"] != etag
        response = api.patch(f"/v1/users/{agent.public_id}", {"roles": ["global_admin"]}, format="json",
                             HTTP_IF_MATCH=etag)
        assert response.status_code == 412
        assert response.json()["code"] == 2055
        agent.refresh_from_db()
        assert agent.roles == ["sales_agent", "helpdesk_agent"]

    def test_last_global_admin(self, api, global_admin):
        response = api.patch(f"/v1/users/{global_admin.public_id}", {"isActive": False}, format="json")
        assert response.status_code == 409
        assert response.json()["errorName"] == "LastGlobalAdmin"
        global_admin.refresh_from_db()
        assert global_admin.is_active

    def test_seek_paging(self, api, make_user):
        for i in range(7):
            make_user(Role.SALES_AGENT, email=f"p{i:02d}@a.example.com")
        seen = []
        response = api.get("/v1/users?size=3")
        pages = 0
        while True:
            body = response.json()
            assert response.status_code == 200, body
            assert body["totalCount"] == len(body["items"]) <= 3
            assert body["attributes"] == {"objectType": "Collection"}
            seen += [item["email"] for item in body["items"]]
            pages += 1
            if "next" not in body["links"]:
                assert "continuationToken" not in body
                break
            nxt = body["links"]["next"]
            assert "seekOperation=Next" in nxt["uri"] and nxt["method"] == "GET"
            assert nxt["headers"][0]["key"] == "MS-ContinuationToken"
            assert nxt["headers"][0]["value"] == body["continuationToken"]
            response = api.get("/v1" + nxt["uri"], HTTP_MS_CONTINUATIONTOKEN=body["continuationToken"])
        assert pages == 3
        assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8

    def test_tampered_continuation_token(self, api):
        response = api.get("/v1/users?size=1&seekOperation=Next", HTTP_MS_CONTINUATIONTOKEN="forged")
        assert response.status_code == 400
        assert response.json()["parameters"]["field"] == "MS-ContinuationToken"

    def test_bad_size(self, api):
        response = api.get("/v1/users?size=abc")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "size"
        assert api.get("/v1/users?size=5000").status_code == 400

    def test_filters(self, api, make_user):
        make_user(Role.BILLING_ADMIN, email="bill@a.example.com")
        body = api.get("/v1/users?role=billing_admin").json()
        assert [i["email"] for i in body["items"]] == ["bill@a.example.com"]
        assert api.get("/v1/users?role=owner").status_code == 400

    def test_user_list_has_no_n_plus_one(self, api, make_user, django_assert_max_num_queries):
        for i in range(20):
            make_user(Role.SALES_AGENT, email=f"q{i:02d}@a.example.com")
        with django_assert_max_num_queries(8):
            response = api.get("/v1/users?size=50")
        assert len(response.json()["items"]) == 21


class TestIdempotency:
    def test_same_key_same_body_replays(self, api):
        body = {"email": "idem@a.example.com", "firstName": "I", "lastName": "D", "roles": []}
        first = api.post("/v1/users", body, format="json", HTTP_MS_REQUESTID="key-1")
        second = api.post("/v1/users", body, format="json", HTTP_MS_REQUESTID="key-1")
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second["Idempotency-Replayed"] == "true"
        assert User.objects.filter(email="idem@a.example.com").count() == 1

    def test_same_key_other_body_is_409(self, api):
        api.post("/v1/users", {"email": "i1@a.example.com", "firstName": "I", "lastName": "D", "roles": []},
                 format="json", HTTP_IDEMPOTENCY_KEY="key-2")
        response = api.post("/v1/users", {"email": "i2@a.example.com", "firstName": "I", "lastName": "D",
                                          "roles": []}, format="json", HTTP_IDEMPOTENCY_KEY="key-2")
        assert response.status_code == 409
        assert response.json()["code"] == 990001
        assert not User.objects.filter(email="i2@a.example.com").exists()

    def test_business_failure_is_replayed_too(self, api, global_admin):
        body = {"email": global_admin.email, "firstName": "I", "lastName": "D", "roles": []}
        first = api.post("/v1/users", body, format="json", HTTP_MS_REQUESTID="key-3")
        second = api.post("/v1/users", body, format="json", HTTP_MS_REQUESTID="key-3")
        assert first.status_code == second.status_code == 400
        assert second["Idempotency-Replayed"] == "true"

    def test_keys_are_per_organisation(self, api, api_client_for, make_user, other_org):
        other = api_client_for(make_user(Role.GLOBAL_ADMIN, organisation=other_org))
        body = {"name": "t"}
        assert api.post("/v1/apitokens", body, format="json", HTTP_MS_REQUESTID="shared").status_code == 201
        response = other.post("/v1/apitokens", body, format="json", HTTP_MS_REQUESTID="shared")
        assert response.status_code == 201 and "Idempotency-Replayed" not in response
        assert IdempotencyRecord.objects.filter(key="shared").count() == 2  # one per organisation


class TestTokens:
    def test_create_shows_token_once_and_it_works(self, api):
        response = api.post("/v1/apitokens", {"name": "script", "days": 10}, format="json")
        assert response.status_code == 201
        token = response.json()["token"]
        listed = api.get("/v1/apitokens").json()
        assert all("token" not in item for item in listed["items"])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert client.get("/v1/profiles/organization").status_code == 200

    def test_app_only_credential_cannot_manage_users(self, api):
        response = api.post("/v1/apitokens", {"name": "automation", "kind": "app", "roles": ["admin_agent"]},
                            format="json")
        assert response.status_code == 201, response.json()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
        assert client.get("/v1/profiles/organization").status_code == 200
        count = User.objects.count()
        response = client.post("/v1/users", {"email": "n@a.example.com", "firstName": "N", "lastName": "N",
                                             "roles": []}, format="json")
        assert response.status_code == 403 and "App only" in response.json()["description"]
        assert User.objects.count() == count

    def test_bad_days(self, api):
        count = ApiCredential.objects.count()
        response = api.post("/v1/apitokens", {"name": "x", "days": 10000}, format="json")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "days"
        response = api.post("/v1/apitokens", {"name": "x", "days": "soon"}, format="json")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "days"
        assert ApiCredential.objects.count() == count


class TestAudit:
    def test_global_admin_reads_audit_records(self, api, make_user):
        api.post("/v1/users", {"email": "aud@a.example.com", "firstName": "A", "lastName": "U", "roles": []},
                 format="json")
        body = api.get("/v1/auditrecords?operationType=user.").json()
        assert [i["operationType"] for i in body["items"]] == ["user.invited"]
        assert body["items"][0]["attributes"] == {"objectType": "AuditRecord"}

    def test_others_may_not(self, api_client_for, make_user):
        client = api_client_for(make_user(Role.ADMIN_AGENT))
        assert client.get("/v1/auditrecords").status_code == 403

    def test_bad_dates(self, api):
        response = api.get("/v1/auditrecords?startDate=yesterday")
        assert response.status_code == 400 and response.json()["parameters"]["field"] == "startDate"

    def test_events_carry_request_id(self, api):
        api.post("/v1/apitokens", {"name": "t"}, format="json", HTTP_MS_REQUESTID="trace-me")
        assert AuditEvent.objects.filter(action="credential.created", request_id="trace-me").exists()


def test_x_locale_translates_error_descriptions(api_client_for, make_user):
    client = api_client_for(make_user(Role.SALES_AGENT))
    response = client.get("/v1/users", HTTP_X_LOCALE="fr-FR")
    assert response.status_code == 403
    assert "rôles" in response.json()["description"]


def test_x_locale_translates_filter_and_body_refusals(api_client_for, make_user):
    client = api_client_for(make_user(Role.GLOBAL_ADMIN))
    response = client.get("/v1/users?role=nobody", HTTP_X_LOCALE="fr-FR")
    assert response.status_code == 400
    assert response.json()["description"].startswith("role doit être l'une des valeurs suivantes : ")
    response = client.post("/v1/apitokens", data="{", content_type="application/json", HTTP_X_LOCALE="fr-FR")
    assert response.status_code == 400
    assert response.json()["description"].startswith("Le corps de la requête n'est pas du JSON valide (")


def test_unknown_route_and_method(api):
    response = api.get("/v1/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == 1000
    response = api.delete("/v1/profiles/organization")
    assert response.status_code == 405 and response.json()["errorName"] == "MethodNotAllowed"


def test_throttling_answers_429_with_retry_after(api, settings):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    from core.api.throttling import TenantRateThrottle

    cache.clear()
    old = TenantRateThrottle.THROTTLE_RATES
    TenantRateThrottle.THROTTLE_RATES = {"tenant": "3/min"}
    try:
        codes = [api.get("/v1/profiles/organization").status_code for _ in range(4)]
        response = api.get("/v1/profiles/organization")
    finally:
        TenantRateThrottle.THROTTLE_RATES = old
        cache.clear()
    assert codes == [200, 200, 200, 429]
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert response.json()["statusCode"] == 429 and "Rate limit is exceeded" in response.json()["message"]
    assert api_settings


def test_reseller_and_provider_see_only_their_own_users(api_client_for, make_user, make_org):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    provider_admin = make_user(Role.GLOBAL_ADMIN, organisation=provider)
    reseller_user = make_user(Role.SALES_AGENT, organisation=reseller)
    client = api_client_for(provider_admin)
    assert client.get(f"/v1/users/{reseller_user.public_id}").status_code == 404
