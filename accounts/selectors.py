"""Every read of accounts data, scoped to the acting organisation (core.tenancy)."""

from django.db.models import Q

from core.models import AuditEvent, Job
from core.tenancy import get_for_actor_or_404

from .choices import Tier, UserStatus
from .models import ApiCredential, Country, Organisation, User
from .permissions import Perm, require


def organisation_get(*, actor) -> Organisation:
    return Organisation.objects.select_related("country__region", "provider").get(pk=actor.organisation_id)


def market_countries(*, organisation) -> list[Country]:
    """The countries of the partner's market (its region), sorted by their name in the active language: a
    partner sells only to customers there. Takes the organisation, not an actor: the public invitation page
    has none."""
    return sorted(Country.objects.filter(region_id=organisation.country.region_id), key=lambda c: c.localized_name)


def reseller_list(*, organisation) -> list[Organisation]:
    """An indirect provider's indirect resellers by name; [] for any other partner."""
    if organisation.tier != Tier.INDIRECT_PROVIDER:
        return []
    return list(organisation.resellers.order_by("name"))


def user_list(*, actor, search="", role="", status=""):
    require(actor, Perm.VIEW_USERS)
    qs = User.objects.for_actor(actor)
    if search:
        qs = qs.filter(Q(email__icontains=search) | Q(first_name__icontains=search) | Q(last_name__icontains=search))
    if role:
        qs = qs.filter(roles__contains=[role])
    if status == UserStatus.DEACTIVATED:
        qs = qs.filter(is_active=False)
    elif status == UserStatus.INVITED:
        qs = qs.filter(is_active=True, activated_at__isnull=True)
    elif status == UserStatus.ACTIVE:
        qs = qs.filter(is_active=True, activated_at__isnull=False)
    return qs


def user_get(*, actor, public_id) -> User:
    if actor.user_id is not None and not actor.is_app_only:
        # Everyone may read their own user record.
        own = User.objects.filter(pk=actor.user_id, public_id=str(public_id)).first() if _is_uuid(public_id) else None
        if own:
            return own
    require(actor, Perm.VIEW_USERS)
    return get_for_actor_or_404(User.objects.all(), actor, public_id=public_id)


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def credential_list(*, actor):
    """A user sees their own tokens; a Global admin sees every token and application credential of the
    organisation (to find and revoke a leaked one)."""
    from .permissions import allowed

    qs = ApiCredential.objects.for_actor(actor).select_related("user", "created_by")
    if allowed(actor, Perm.MANAGE_APP_CREDENTIALS):
        return qs
    if actor.user_id is None:
        return qs.filter(pk=actor.credential_id)
    return qs.filter(user_id=actor.user_id)


def credential_get(*, actor, public_id) -> ApiCredential:
    return get_for_actor_or_404(credential_list(actor=actor), actor, public_id=public_id)


def audit_list(*, actor, action="", start=None, end=None, subject_id=""):
    require(actor, Perm.VIEW_AUDIT_LOG)
    qs = AuditEvent.objects.for_actor(actor).select_related("actor_user")
    if action:
        qs = qs.filter(action__startswith=action)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    if subject_id:
        qs = qs.filter(Q(subject_id=subject_id) | Q(object_id=subject_id))
    return qs


def job_get(*, actor, public_id) -> Job:
    return get_for_actor_or_404(Job.objects.all(), actor, public_id=public_id)
