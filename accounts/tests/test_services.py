from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import mfa, services
from accounts.choices import CredentialKind, Role, Tier
from accounts.errors import LastGlobalAdmin
from accounts.models import ApiCredential, SignInAttempt, User
from core.errors import EtagMismatch, InvalidInput, NotFound, PermissionDenied
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_invite_creates_user_audits_and_emails_a_link(global_admin, actor_of, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_invite(actor=actor_of(global_admin), email="New.Agent@A.example.com",
                                    first_name="New", last_name="Agent", roles=["sales_agent"])
    assert user.email == "new.agent@a.example.com"
    assert user.roles == ["sales_agent"] and user.status == "invited" and not user.has_usable_password()
    assert AuditEvent.objects.filter(action="user.invited", object_id=str(user.public_id)).exists()
    assert len(mail.outbox) == 1 and "/accounts/invitation/" in mail.outbox[0].body


def test_invite_refuses_duplicate_email_and_unknown_role(global_admin, actor_of):
    actor = actor_of(global_admin)
    with pytest.raises(InvalidInput) as exc:
        services.user_invite(actor=actor, email="GA@a.example.com", first_name="x", last_name="y", roles=[])
    assert exc.value.field == "email"
    with pytest.raises(InvalidInput) as exc:
        services.user_invite(actor=actor, email="n@a.example.com", first_name="x", last_name="y", roles=["owner"])
    assert exc.value.field == "roles"
    assert User.objects.count() == 1


def test_user_management_admin_cannot_make_or_change_a_global_admin(make_user, global_admin, actor_of):
    uma = make_user(Role.USER_MANAGEMENT_ADMIN)
    with pytest.raises(PermissionDenied):
        services.user_invite(actor=actor_of(uma), email="x@a.example.com", first_name="x", last_name="y",
                             roles=["global_admin"])
    with pytest.raises(PermissionDenied):
        services.user_update(actor=actor_of(uma), user=global_admin, is_active=False)
    global_admin.refresh_from_db()
    assert global_admin.is_active
    # but a UMA manages other users
    agent = make_user(Role.SALES_AGENT)
    services.user_update(actor=actor_of(uma), user=agent, roles=["sales_agent", "helpdesk_agent"])
    agent.refresh_from_db()
    assert agent.roles == ["sales_agent", "helpdesk_agent"]


def test_sales_agent_cannot_manage_users(make_user, actor_of):
    agent = make_user(Role.SALES_AGENT)
    other = make_user(Role.BILLING_ADMIN)
    with pytest.raises(PermissionDenied):
        services.user_update(actor=actor_of(agent), user=other, roles=["global_admin"])
    other.refresh_from_db()
    assert other.roles == ["billing_admin"]


def test_last_active_global_admin_cannot_be_removed(global_admin, make_user, actor_of):
    actor = actor_of(global_admin)
    with pytest.raises(LastGlobalAdmin):
        services.user_update(actor=actor, user=global_admin, is_active=False)
    with pytest.raises(LastGlobalAdmin):
        services.user_update(actor=actor, user=global_admin, roles=["admin_agent"])
    global_admin.refresh_from_db()
    assert global_admin.is_active and global_admin.roles == ["global_admin"]
    second = make_user(Role.GLOBAL_ADMIN)
    services.user_update(actor=actor, user=second, is_active=False)
    # a deactivated admin does not count
    with pytest.raises(LastGlobalAdmin):
        services.user_update(actor=actor, user=global_admin, roles=["admin_agent"])
    services.user_update(actor=actor, user=second, is_active=True)
    services.user_update(actor=actor, user=global_admin, roles=["admin_agent"])


def test_deactivation_revokes_tokens_and_is_audited(global_admin, make_user, actor_of):
    agent = make_user(Role.SALES_AGENT)
    credential, _raw = services.credential_create(actor=actor_of(agent), name="script")
    services.user_update(actor=actor_of(global_admin), user=agent, is_active=False)
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert AuditEvent.objects.filter(action="user.deactivated").count() == 1


def test_stale_etag_changes_nothing(global_admin, make_user, actor_of):
    from core.api.etag import etag_for

    agent = make_user(Role.SALES_AGENT)
    etag = etag_for(agent)
    services.user_update(actor=actor_of(global_admin), user=agent, first_name="Changed", expected_etag=etag)
    with pytest.raises(EtagMismatch):
        services.user_update(actor=actor_of(global_admin), user=agent, first_name="Again", expected_etag=etag)
    agent.refresh_from_db()
    assert agent.first_name == "Changed"


def test_foreign_user_is_not_found(global_admin, make_user, other_org, actor_of):
    foreign = make_user(Role.SALES_AGENT, organisation=other_org)
    with pytest.raises(NotFound):
        services.user_update(actor=actor_of(global_admin), user=foreign, roles=["admin_agent"])
    foreign.refresh_from_db()
    assert foreign.roles == ["sales_agent"]


def test_audit_events_are_append_only(global_admin, actor_of):
    from django.db import DatabaseError, transaction

    from core.audit import audit_record

    event = audit_record(actor=actor_of(global_admin), action="test.event", object_type="x", object_id="1")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


class TestMfa:
    def test_enrolment_needs_a_valid_code_and_gives_ten_single_use_recovery_codes(self, make_user):
        import pyotp

        user = make_user(Role.SALES_AGENT)
        secret = mfa.mfa_new_secret()
        with pytest.raises(InvalidInput):
            mfa.mfa_enrol(user=user, secret=secret, code="000000")
        user.refresh_from_db()
        assert not user.mfa_enrolled
        codes = mfa.mfa_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
        assert len(codes) == 10 and len(set(codes)) == 10
        user.refresh_from_db()
        assert user.mfa_enrolled
        assert mfa.mfa_verify(user=user, code=codes[0]) == "recovery"
        with pytest.raises(InvalidInput):
            mfa.mfa_verify(user=user, code=codes[0])
        assert user.recovery_codes.filter(used_at__isnull=True).count() == 9

    def test_a_totp_code_works_once(self, make_user):
        from conftest import enrol

        user = make_user(Role.SALES_AGENT)
        totp = enrol(user)
        code = totp.now()
        assert mfa.mfa_verify(user=user, code=code) == "totp"
        with pytest.raises(InvalidInput):
            mfa.mfa_verify(user=user, code=code)


class TestRecoveryCodes:
    """Long random codes under a fast keyed hash (issue 10 item 22): no password hasher per code."""

    def _enrolled(self, make_user):
        import pyotp

        user = make_user(Role.SALES_AGENT)
        secret = mfa.mfa_new_secret()
        return user, mfa.mfa_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())

    def test_codes_are_sixteen_base32_characters_in_groups_of_four_stored_as_a_keyed_hash(self, make_user):
        import re

        user, codes = self._enrolled(make_user)
        assert all(re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code) for code in codes), codes
        stored = list(user.recovery_codes.values_list("code_hash", flat=True))
        assert all(h.startswith("hmac_sha256$") and len(h) == len("hmac_sha256$") + 64 for h in stored)
        assert not any(code.replace("-", "") in h.upper() for code in codes for h in stored)

    def test_a_code_works_in_lower_case_without_dashes_and_only_once(self, make_user):
        user, codes = self._enrolled(make_user)
        assert mfa.mfa_verify(user=user, code=codes[3].replace("-", " ").lower()) == "recovery"
        with pytest.raises(InvalidInput):
            mfa.mfa_verify(user=user, code=codes[3])
        assert user.recovery_codes.filter(used_at__isnull=True).count() == 9

    def test_a_code_of_another_user_or_a_near_miss_is_refused(self, make_user):
        user, codes = self._enrolled(make_user)
        _other, other_codes = self._enrolled(make_user)
        with pytest.raises(InvalidInput):
            mfa.mfa_verify(user=user, code=other_codes[0])
        near = codes[0][:-1] + ("A" if codes[0][-1] != "A" else "B")
        with pytest.raises(InvalidInput):
            mfa.mfa_verify(user=user, code=near)
        assert user.recovery_codes.filter(used_at__isnull=True).count() == 10

    def test_codes_keep_working_after_the_secret_key_is_rotated(self, make_user, settings):
        user, codes = self._enrolled(make_user)
        settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
        settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
        assert mfa.mfa_verify(user=user, code=codes[0]) == "recovery"

    def test_codes_stored_with_the_password_hasher_before_still_work_once(self, make_user):
        from django.contrib.auth.hashers import make_password

        from accounts.models import RecoveryCode
        from conftest import enrol

        user = make_user(Role.SALES_AGENT)
        enrol(user)
        RecoveryCode.objects.create(user=user, code_hash=make_password("a1b2c3-d4e5f6"))
        RecoveryCode.objects.create(user=user, code_hash=make_password("0f0f0f-999999"))
        assert mfa.mfa_verify(user=user, code="A1B2C3-D4E5F6") == "recovery"
        with pytest.raises(InvalidInput):
            mfa.mfa_verify(user=user, code="a1b2c3-d4e5f6")
        assert mfa.mfa_verify(user=user, code="0f0f0f999999") == "recovery"


class TestLockout:
    def test_five_failures_lock_for_the_window_and_are_audited(self, make_user, settings):
        user = make_user(Role.SALES_AGENT, email="lock@a.example.com")
        for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS - 1):
            services.signin_record(email=user.email, user=user, kind=SignInAttempt.Kind.PASSWORD, succeeded=False)
        assert services.signin_locked_until(user.email) is None
        services.signin_record(email=user.email, user=user, kind=SignInAttempt.Kind.PASSWORD, succeeded=False)
        until = services.signin_locked_until(user.email)
        assert until is not None and until > timezone.now()
        assert AuditEvent.objects.filter(action="signin.locked_out").count() == 1
        assert AuditEvent.objects.filter(action="signin.failed_password").count() == 5

    def test_lock_expires(self, make_user, settings):
        import time_machine

        user = make_user(Role.SALES_AGENT, email="lock2@a.example.com")
        for _ in range(settings.LOGIN_LOCKOUT_ATTEMPTS):
            services.signin_record(email=user.email, user=user, kind=SignInAttempt.Kind.PASSWORD, succeeded=False)
        assert services.signin_locked_until(user.email)
        with time_machine.travel(timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)):
            assert services.signin_locked_until(user.email) is None


class TestCredentials:
    def test_token_is_stored_hashed_and_authenticates(self, global_admin, actor_of):
        credential, raw = services.credential_create(actor=actor_of(global_admin), name="script", days=7)
        assert raw.startswith("pcp_") and raw not in credential.token_hash
        assert not ApiCredential.objects.filter(token_hash=raw).exists()
        assert services.credential_authenticate(raw).pk == credential.pk

    def test_expired_and_revoked_tokens_are_refused(self, global_admin, actor_of):
        import time_machine

        from core.errors import NotAuthenticated

        credential, raw = services.credential_create(actor=actor_of(global_admin), name="script", days=1)
        with time_machine.travel(timezone.now() + timedelta(days=2)), pytest.raises(NotAuthenticated) as exc:
            services.credential_authenticate(raw)
        assert "expired" in str(exc.value.description)
        services.credential_revoke(actor=actor_of(global_admin), credential=credential)
        with pytest.raises(NotAuthenticated) as exc:
            services.credential_authenticate(raw)
        assert "revoked" in str(exc.value.description)

    def test_only_global_admin_creates_app_credentials_without_admin_roles(self, global_admin, make_user, actor_of):
        agent = make_user(Role.ADMIN_AGENT)
        with pytest.raises(PermissionDenied):
            services.credential_create(actor=actor_of(agent), name="app", kind=CredentialKind.APP,
                                       roles=["admin_agent"])
        with pytest.raises(InvalidInput):
            services.credential_create(actor=actor_of(global_admin), name="app", kind=CredentialKind.APP,
                                       roles=["global_admin"])
        credential, _ = services.credential_create(actor=actor_of(global_admin), name="app",
                                                   kind=CredentialKind.APP, roles=["admin_agent"])
        assert credential.user is None and credential.roles == ["admin_agent"]
        assert ApiCredential.objects.count() == 1

    def test_days_out_of_range(self, global_admin, actor_of, settings):
        with pytest.raises(InvalidInput) as exc:
            services.credential_create(actor=actor_of(global_admin), name="x", days=settings.API_TOKEN_MAX_DAYS + 1)
        assert exc.value.field == "days"
        assert not ApiCredential.objects.exists()

    def test_a_user_cannot_revoke_someone_elses_token(self, global_admin, make_user, actor_of):
        agent = make_user(Role.SALES_AGENT)
        credential, _ = services.credential_create(actor=actor_of(global_admin), name="ga token")
        with pytest.raises(NotFound):
            services.credential_revoke(actor=actor_of(agent), credential=credential)
        credential.refresh_from_db()
        assert credential.revoked_at is None


def test_reseller_provider_visibility(make_org):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    assert provider.visible_organisation_ids() == {provider.pk, reseller.pk}
    assert reseller.visible_organisation_ids() == {reseller.pk}


def test_billing_currency_and_market_come_from_the_country(make_org):
    from accounts.models import Country

    fr = make_org(country=Country.objects.get(code="FR"))
    gb = make_org(country=Country.objects.get(code="GB"))
    br = make_org(country=Country.objects.get(code="BR"))
    assert (fr.billing_currency, fr.market.code) == ("EUR", "europe")
    assert (gb.billing_currency, gb.market.code) == ("GBP", "europe")
    assert (br.billing_currency, br.market.code) == ("BRL", "brazil")


def test_reseller_must_have_a_provider(make_org):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        make_org(tier=Tier.INDIRECT_RESELLER, provider=None)
