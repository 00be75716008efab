"""Every read of accounts data, scoped to the acting organisation (core.tenancy)."""

import unicodedata

from django.db.models import Q

from core.audit import subject_q
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
    return countries_by_name(Country.objects.filter(region_id=organisation.country.region_id))


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


def audit_list(*, actor, action="", start=None, end=None, subject_id="", by="", obj="", customer="",
               resource_type=""):
    """The actor's audit log, newest first. `action` is a prefix; `by` matches the actor's label (e-mail or token
    name) in part; `obj` an object's id exactly or its name in part; `customer` the customer an event is about, by
    its id exactly or its company name in part (core.audit.subject_q); `resource_type` the object's kind as the API
    names it (`customers.Customer`) or its last part (`Customer`), any case; `start` and `end` are instants (end
    excluded). accounts.forms.AuditFilterForm is the one definition of these filters, for the page and the API."""
    require(actor, Perm.VIEW_AUDIT_LOG)
    qs = AuditEvent.objects.for_actor(actor).select_related("actor_user")
    if action:
        qs = qs.filter(action__startswith=action)
    if by:
        qs = qs.filter(actor_label__icontains=by)
    if obj:
        qs = qs.filter(Q(object_id=obj) | Q(object_repr__icontains=obj))
    if customer:
        qs = qs.filter(subject_q(actor, customer))
    if resource_type:
        qs = qs.filter(Q(object_type__iexact=resource_type) | Q(object_type__iendswith=f".{resource_type}"))
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    if subject_id:
        qs = qs.filter(Q(subject_id=subject_id) | Q(object_id=subject_id))
    return qs


def job_get(*, actor, public_id) -> Job:
    return get_for_actor_or_404(Job.objects.all(), actor, public_id=public_id)


def collation_key(text: str) -> tuple:
    """Sort key for names in the active language, as a person expects them: accents and case do not move a name
    to the end ('Îles Åland' sorts with the I, 'Åland Islands' with the A). Letters first without their accents,
    the accented form after the plain one as a tie-break. Good for Latin-script names (every country name we
    ship); the database's C collation is not used for it."""
    text = str(text)
    decomposed = unicodedata.normalize("NFKD", text)
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return (base, text.casefold(), text)


def countries_by_name(countries) -> list[Country]:
    """Countries sorted by their name in the active language (collation_key): the one order of every country list."""
    return sorted(countries, key=lambda country: collation_key(country.localized_name))
