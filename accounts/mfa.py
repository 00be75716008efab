"""Every write of a user's second factor: TOTP enrolment and verification, recovery codes, an administrator's
reset. Like the other services, each works in one transaction, locks the user and writes an audit event."""

import secrets
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput
from core.tenancy import get_for_actor_or_404

from .choices import Role
from .models import RecoveryCode, User
from .permissions import Perm, require

RECOVERY_CODE_COUNT = 10


def mfa_new_secret() -> str:
    return pyotp.random_base32()


def mfa_provisioning_uri(user, secret) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.MFA_ISSUER)


def _totp_step(secret, code):
    """The time step a code matches (±1 step for clock drift), or None."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    for offset in (0, -1, 1):
        at = now + timedelta(seconds=30 * offset)
        if secrets.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


# Recovery codes: 16 random base32 characters (80 bits) shown in groups of four. With that much
# entropy a fast keyed hash is as safe as a slow password hash is for a password, so enrolment and a
# recovery sign-in cost microseconds instead of ten PBKDF2 rounds. The hash is an HMAC-SHA256 keyed
# with SECRET_KEY (checked against SECRET_KEY_FALLBACKS too, so rotating the key keeps codes working)
# over the user's public id and the code: equal codes of two users hash apart, and one indexed query
# finds the code. Codes issued before this scheme (12 hex digits, stored with the password hasher)
# still work once each; only they pay the slow check.
RECOVERY_CODE_CHARS = 16
RECOVERY_CODE_GROUP = 4
RECOVERY_HASH_PREFIX = "hmac_sha256$"
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _recovery_code_normal(code) -> str:
    """Upper case without spaces or dashes, so a code copied with or without its grouping works."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def _recovery_code_hashes(user, code) -> list[str]:
    """The stored form of `code` under the current secret key, then under each fallback key."""
    from django.utils.crypto import salted_hmac

    value = f"{user.public_id}:{_recovery_code_normal(code)}"
    return [RECOVERY_HASH_PREFIX + salted_hmac("accounts.recovery_code", value, secret=secret,
                                               algorithm="sha256").hexdigest()
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


def _new_recovery_codes(user):
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_BASE32) for _c in range(RECOVERY_CODE_CHARS))
        codes.append("-".join(raw[i:i + RECOVERY_CODE_GROUP] for i in range(0, RECOVERY_CODE_CHARS, RECOVERY_CODE_GROUP)))
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_recovery_code_hashes(user, c)[0])
                                     for c in codes)
    return codes


def _recovery_code_match(user, code):
    """The unused RecoveryCode row `code` matches (locked), or None."""
    normal = _recovery_code_normal(code)
    unused = RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True)
    if len(normal) == RECOVERY_CODE_CHARS and all(ch in _BASE32 for ch in normal):
        return unused.filter(code_hash__in=_recovery_code_hashes(user, normal)).first()
    legacy = normal.lower()
    if len(legacy) == 12 and all(ch in "0123456789abcdef" for ch in legacy):
        # A code from before the keyed hash ("a1b2c3-d4e5f6", stored with the password hasher).
        for recovery in unused.exclude(code_hash__startswith=RECOVERY_HASH_PREFIX):
            if check_password(f"{legacy[:6]}-{legacy[6:]}", recovery.code_hash):
                return recovery
    return None


def mfa_enrol(*, user, secret, code) -> list[str]:
    """Confirm a TOTP enrolment with a first valid code; returns the recovery codes (shown once)."""
    step = _totp_step(secret, code)
    if step is None:
        raise InvalidInput(_("That code is not valid. Enter the 6-digit code your authenticator app shows now."),
                           field="code")
    from .actors import actor_for_user

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.totp_secret = secret
        user.totp_last_step = step
        user.mfa_enrolled_at = timezone.now()
        user.save(update_fields=["totp_secret", "totp_last_step", "mfa_enrolled_at"])
        codes = _new_recovery_codes(user)
        audit_record(actor=actor_for_user(user), action="mfa.enrolled", obj=user)
    return codes


def mfa_verify(*, user, code) -> str:
    """Check a TOTP code (each code once) or a recovery code (each once). Returns 'totp' or 'recovery'."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        step = _totp_step(user.totp_secret, code) if user.totp_secret else None
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step
            user.save(update_fields=["totp_last_step"])
            return "totp"
        recovery = _recovery_code_match(user, code)
        if recovery is not None:
            recovery.used_at = timezone.now()
            recovery.save(update_fields=["used_at"])
            from .actors import actor_for_user

            audit_record(actor=actor_for_user(user), action="mfa.recovery_code_used", obj=user)
            return "recovery"
    raise InvalidInput(_("That code is not valid."), field="code")


def mfa_regenerate_recovery_codes(*, user) -> list[str]:
    from .actors import actor_for_user

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        codes = _new_recovery_codes(user)
        audit_record(actor=actor_for_user(user), action="mfa.recovery_codes_regenerated", obj=user)
    return codes


def mfa_reset(*, actor, user) -> User:
    """An administrator clears another user's second factor: they enrol again at next sign-in."""
    require(actor, Perm.MANAGE_USERS)
    if Role.GLOBAL_ADMIN in user.roles:
        require(actor, Perm.MANAGE_GLOBAL_ADMINS)
    with transaction.atomic():
        user = get_for_actor_or_404(User.objects.select_for_update(), actor, pk=user.pk)
        user.totp_secret = ""
        user.totp_last_step = None
        user.mfa_enrolled_at = None
        user.version += 1
        user.save()
        RecoveryCode.objects.filter(user=user).delete()
        audit_record(actor=actor, action="mfa.reset", obj=user)
    return user
