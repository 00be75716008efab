"""Every write in accounts: users, roles, sign-in lockout, API credentials (MFA: accounts.mfa).

Each service checks the permission matrix, works in one transaction, locks what it changes,
writes an audit event and enqueues side effects after commit.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api.etag import check_etag
from core.audit import audit_record
from core.errors import Conflict, InvalidInput
from core.tenancy import get_for_actor_or_404

from .choices import CredentialKind, Role
from .credential_lookup import credential_by_token_hash
from .errors import LastGlobalAdmin
from .models import ApiCredential, SignInAttempt, User
from .permissions import Perm, allowed, require

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "pcp_"


# ---------------------------------------------------------------- users


def _clean_roles(roles, *, field="roles"):
    roles = list(dict.fromkeys(roles or []))
    valid = {r.value for r in Role}
    unknown = [r for r in roles if r not in valid]
    if unknown:
        raise InvalidInput(
            _("Unknown role %(role)s. Roles are: %(roles)s.") % {"role": unknown[0], "roles": ", ".join(sorted(valid))},
            field=field,
        )
    return [r.value for r in Role if r.value in roles]


def _clean_language(language):
    language = (language or "").strip()
    if language and language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Language must be one of: %(codes)s.") % {"codes": ", ".join(dict(settings.LANGUAGES))},
                           field="language")
    return language


def user_invite(*, actor, email, first_name, last_name, roles, language="") -> User:
    """Create a user in the actor's organisation and e-mail them a link to set a password."""
    require(actor, Perm.MANAGE_USERS)
    roles = _clean_roles(roles)
    if Role.GLOBAL_ADMIN in roles:
        require(actor, Perm.MANAGE_GLOBAL_ADMINS)
    email = (email or "").strip().lower()
    first_name = (first_name or "").strip()
    last_name = (last_name or "").strip()
    if not email or "@" not in email or len(email) > 254:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email")
    if not first_name:
        raise InvalidInput(_("First name is required."), field="firstName")
    if not last_name:
        raise InvalidInput(_("Last name is required."), field="lastName")
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput(_("A user with this e-mail address already exists."), field="email")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, first_name=first_name[:50], last_name=last_name[:50], roles=roles,
                language=_clean_language(language), organisation_id=actor.organisation_id,
                invited_at=timezone.now(), invited_by_id=actor.user_id,
            )
            audit_record(actor=actor, action="user.invited", obj=user, data={"email": email, "roles": roles})
            from .tasks import send_invitation_email

            send_invitation_email.delay_on_commit(user.pk)
    except IntegrityError:
        raise InvalidInput(_("A user with this e-mail address already exists."), field="email") from None
    return user


def _active_global_admin_ids(organisation_id):
    return set(
        User.objects.select_for_update()
        .filter(organisation_id=organisation_id, is_active=True, roles__contains=[Role.GLOBAL_ADMIN])
        .values_list("pk", flat=True)
    )


def user_update(*, actor, user, expected_etag=None, first_name=None, last_name=None, roles=None,
                language=None, is_active=None) -> User:
    """Change a user's names, roles, language or active state.

    Only a Global admin may change a Global admin (or make one). The last active Global admin of an
    organisation can neither lose the role nor be deactivated.
    """
    is_self = actor.user_id == user.pk
    changes_admin_fields = roles is not None or is_active is not None
    if not is_self or changes_admin_fields:
        require(actor, Perm.MANAGE_USERS)
    with transaction.atomic():
        admin_ids = _active_global_admin_ids(actor.organisation_id)
        user = get_for_actor_or_404(User.objects.select_for_update(), actor, pk=user.pk)
        check_etag(user, expected_etag)
        before = {"roles": list(user.roles), "is_active": user.is_active, "first_name": user.first_name,
                  "last_name": user.last_name, "language": user.language}
        new_roles = _clean_roles(roles) if roles is not None else list(user.roles)
        touches_admin = Role.GLOBAL_ADMIN in user.roles or Role.GLOBAL_ADMIN in new_roles
        if touches_admin and not is_self and not allowed(actor, Perm.MANAGE_GLOBAL_ADMINS):
            require(actor, Perm.MANAGE_GLOBAL_ADMINS)
        if is_self and Role.GLOBAL_ADMIN in new_roles and Role.GLOBAL_ADMIN not in user.roles:
            require(actor, Perm.MANAGE_GLOBAL_ADMINS)
        will_be_active = user.is_active if is_active is None else bool(is_active)
        if user.pk in admin_ids and (Role.GLOBAL_ADMIN not in new_roles or not will_be_active) and len(admin_ids) == 1:
            raise LastGlobalAdmin(
                _("%(email)s is the last active Global admin of this organisation. Make another user Global admin "
                  "first.") % {"email": user.email},
                field="roles" if roles is not None else "isActive",
            )
        if first_name is not None:
            if not first_name.strip():
                raise InvalidInput(_("First name is required."), field="firstName")
            user.first_name = first_name.strip()[:50]
        if last_name is not None:
            if not last_name.strip():
                raise InvalidInput(_("Last name is required."), field="lastName")
            user.last_name = last_name.strip()[:50]
        if language is not None:
            user.language = _clean_language(language)
        user.roles = new_roles
        if is_active is not None and bool(is_active) != user.is_active:
            user.is_active = bool(is_active)
            user.deactivated_at = None if user.is_active else timezone.now()
        after = {"roles": list(user.roles), "is_active": user.is_active, "first_name": user.first_name,
                 "last_name": user.last_name, "language": user.language}
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if not changed:
            return user
        user.version += 1
        user.save()
        if not user.is_active:
            ApiCredential.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        action = "user.updated"
        if "is_active" in changed:
            action = "user.deactivated" if not user.is_active else "user.reactivated"
        elif "roles" in changed:
            action = "user.roles_changed"
        audit_record(actor=actor, action=action, obj=user, data={"changes": changed})
    return user


def user_accept_invitation(*, user, password) -> User:
    """The invited user chooses a password (the link's token is checked by the view)."""
    if not user.is_active or user.activated_at is not None:
        raise Conflict(_("This invitation was already used. Sign in instead."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    from .actors import actor_for_user

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.activated_at is not None:
            raise Conflict(_("This invitation was already used. Sign in instead."))
        user.set_password(password)
        user.activated_at = timezone.now()
        user.version += 1
        user.save()
        audit_record(actor=actor_for_user(user), action="user.invitation_accepted", obj=user)
    return user


def user_change_password(*, user, current_password, new_password) -> User:
    if not user.check_password(current_password):
        raise InvalidInput(_("The current password is wrong."), field="current_password")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="new_password") from None
    from .actors import actor_for_user

    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(actor=actor_for_user(user), action="user.password_changed", obj=user)
    return user


# ---------------------------------------------------------------- sign-in lockout


def _locked_until(failures, limit, *, email=None):
    """When `limit` failures within the lockout window lock (after the last success of `email`, if given)."""
    if limit <= 0:
        return None
    window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    since = timezone.now() - window
    if email is not None:
        last_success = (SignInAttempt.objects.filter(email=email, succeeded=True, created_at__gte=since)
                        .order_by("-created_at").values_list("created_at", flat=True).first())
        since = last_success or since
    recent = list(failures.filter(succeeded=False, created_at__gte=since).order_by("-created_at")
                  .values_list("created_at", flat=True)[:limit])
    if len(recent) >= limit:
        return recent[0] + window
    return None


def signin_locked_until(email):
    """When repeated failures (password or second factor) lock `email` out: None when not locked.

    This lock refuses a password alone. Anyone can cause it by typing wrong passwords for the address, so
    the right password together with a valid second factor still signs in (the sign-in page asks for both).
    """
    email = (email or "").strip().lower()
    return _locked_until(SignInAttempt.objects.filter(email=email), settings.LOGIN_LOCKOUT_ATTEMPTS, email=email)


def signin_second_factor_locked_until(email):
    """When repeated wrong second factors lock `email` out completely: None when not locked.

    A second-factor attempt is only made after the right password, so only someone who knows it can cause
    this lock; nothing signs in while it lasts (no guessing codes with the password in hand)."""
    email = (email or "").strip().lower()
    return _locked_until(SignInAttempt.objects.filter(email=email, kind=SignInAttempt.Kind.SECOND_FACTOR),
                         settings.LOGIN_LOCKOUT_ATTEMPTS, email=email)


def signin_ip_throttled_until(ip_address):
    """When `LOGIN_IP_FAILURE_LIMIT` failed attempts from one client address (for any e-mail) within the
    window refuse it every attempt: None when not throttled. A success does not reset it."""
    if not ip_address:
        return None
    return _locked_until(SignInAttempt.objects.filter(ip_address=ip_address), settings.LOGIN_IP_FAILURE_LIMIT)


def signin_record(*, email, user=None, kind, succeeded, ip_address=None):
    """Store an attempt and audit it for a known user: failures, the start of a lockout or of a client
    address's throttle, and a sign-in with a valid second factor while the address was locked."""
    email = (email or "").strip().lower()
    was_locked = signin_locked_until(email)
    was_throttled = signin_ip_throttled_until(ip_address) if not succeeded else None
    SignInAttempt.objects.create(email=email, user=user, kind=kind, succeeded=succeeded, ip_address=ip_address)
    throttled = None if succeeded or was_throttled else signin_ip_throttled_until(ip_address)
    if throttled:
        logger.warning("Sign-in attempts from %s are refused until %s after repeated failures", ip_address,
                       throttled.isoformat())
    if user is None:
        return
    from .actors import actor_for_user

    actor = actor_for_user(user)
    if not succeeded:
        audit_record(actor=actor, action=f"signin.failed_{kind}", obj=user, ip_address=ip_address)
        locked = None if was_locked else signin_locked_until(email)
        if locked:
            audit_record(actor=actor, action="signin.locked_out", obj=user, ip_address=ip_address,
                         data={"until": locked.isoformat()})
        if throttled:
            audit_record(actor=actor, action="signin.ip_throttled", obj=user, ip_address=ip_address,
                         data={"until": throttled.isoformat()})
    elif was_locked:
        audit_record(actor=actor, action="signin.lockout_bypassed", obj=user, ip_address=ip_address,
                     data={"lockedUntil": was_locked.isoformat(), "kind": kind})


# ---------------------------------------------------------------- API credentials


def _hash_token(raw) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _expiry(days, now):
    if days is None:
        days = settings.API_TOKEN_DEFAULT_DAYS
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise InvalidInput(_("Days must be a whole number."), field="days") from None
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise InvalidInput(_("A token lives between 1 and %(max)s days.") % {"max": settings.API_TOKEN_MAX_DAYS},
                           field="days")
    return now + timedelta(days=days)


def credential_create(*, actor, name, kind=CredentialKind.USER, days=None, roles=None):
    """Create a token; returns (credential, raw_token). The raw token is never stored."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the token a name that says what uses it."), field="name")
    if kind not in CredentialKind.values:
        raise InvalidInput(_("kind must be 'user' or 'app'."), field="kind")
    if kind == CredentialKind.USER:
        if actor.user_id is None or actor.is_app_only:
            raise InvalidInput(_("An application credential cannot create personal tokens."), field="kind")
        roles = []
        user_id = actor.user_id
    else:
        require(actor, Perm.MANAGE_APP_CREDENTIALS)
        roles = _clean_roles(roles)
        if not roles:
            raise InvalidInput(_("Choose the roles the application may use."), field="roles")
        if Role.GLOBAL_ADMIN in roles or Role.USER_MANAGEMENT_ADMIN in roles:
            raise InvalidInput(_("Application credentials cannot hold Global admin or User management admin."),
                               field="roles")
        user_id = None
    now = timezone.now()
    expires_at = _expiry(days, now)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        credential = ApiCredential.objects.create(
            organisation_id=actor.organisation_id, user_id=user_id, kind=kind, name=name[:100], roles=roles,
            prefix=raw[: len(TOKEN_PREFIX) + 6], token_hash=_hash_token(raw), created_by_id=actor.user_id,
            created_at=now, expires_at=expires_at,
        )
        audit_record(actor=actor, action="credential.created", obj=credential,
                     data={"kind": kind, "roles": roles, "expires_at": expires_at.isoformat()})
    return credential, raw


def credential_revoke(*, actor, credential) -> ApiCredential:
    from .selectors import credential_list

    with transaction.atomic():
        credential = get_for_actor_or_404(credential_list(actor=actor).select_for_update(of=("self",)), actor,
                                          pk=credential.pk)
        if credential.revoked_at:
            return credential
        credential.revoked_at = timezone.now()
        credential.revoked_by_id = actor.user_id
        credential.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action="credential.revoked", obj=credential)
    return credential


def credential_authenticate(raw):
    """The credential behind a bearer token, or a reason it is refused."""
    from core.errors import NotAuthenticated

    # The reason names only what the caller's own token is (parameters.reason); nothing about other tenants.
    if not raw or not raw.startswith(TOKEN_PREFIX):
        raise NotAuthenticated(_("The bearer token is unknown: it is not a token of this portal."),
                               parameters={"reason": "unknown"})
    credential = credential_by_token_hash(_hash_token(raw))  # select_related's answer, without compiling it
    if credential is None:
        raise NotAuthenticated(_("The bearer token is unknown."), parameters={"reason": "unknown"})
    if credential.revoked_at:
        raise NotAuthenticated(_("The bearer token was revoked."), parameters={"reason": "revoked"})
    if credential.expires_at <= timezone.now():
        raise NotAuthenticated(_("The bearer token has expired. Create a new one under Settings > API tokens."),
                               parameters={"reason": "expired"})
    if credential.user is not None and not credential.user.is_active:
        raise NotAuthenticated(_("The user of this token is deactivated."), parameters={"reason": "deactivated"})
    now = timezone.now()
    if credential.last_used_at is None or now - credential.last_used_at > timedelta(minutes=1):
        ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
    return credential
