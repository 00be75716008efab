"""Every write about customers: create, billing profile, reseller of record, reseller relationship
invitations and their acceptance, relationship removal.

Field names in errors are the wire names of Partner Center's Customer resource
(`companyProfile.domain`, `billingProfile.defaultAddress.city`...); pages show them beside the
matching form field (core.forms.apply_error uses the last segment).
"""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Tier
from accounts.models import Country, Organisation
from accounts.permissions import Perm, require
from core.api.etag import check_etag
from core.audit import audit_record
from core.errors import Conflict, InvalidInput, NotFound, PartnerCenterError
from core.phone import MESSAGE as PHONE_MESSAGE
from core.phone import phone_number_valid
from core.status import status_move
from core.tenancy import get_for_actor_or_404

from . import addresses, registry
from .choices import REGISTRATION_REQUIRED_COUNTRIES, RelationshipRequestStatus, RelationshipToPartner
from .cultures import culture_clean
from .errors import ActiveSubscriptions, CustomerError, InvitationInvalid, NoCommerceRelationship, OutsideMarket
from .models import Customer, RelationshipRequest

ADDR = "billingProfile.defaultAddress."
_DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.ASCII)
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}$", re.ASCII)
_REGISTRATION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{2,48}[A-Za-z0-9]$", re.ASCII)
MAX_EMAIL = 254
INVITATION_SALT = "customers.relationship_request"


# Later apps (azureplan) register functions `f(customer) -> int` counting the customer's active
# subscriptions, Azure plans and Azure subscriptions; a relationship is not removed while any is active.
ACTIVE_SUBSCRIPTION_COUNTERS = registry.ACTIVE_SUBSCRIPTION_COUNTERS


def _text(data, key, field, *, required=True, max_length, min_length=1):
    value = (data.get(key) or "").strip()
    if not value:
        if required:
            raise InvalidInput(_("%(field)s is required.") % {"field": field}, field=field)
        return ""
    if len(value) < min_length or len(value) > max_length:
        raise InvalidInput(_("%(field)s must be %(min)s to %(max)s characters long.")
                           % {"field": field, "min": min_length, "max": max_length}, field=field)
    return value


class _Problems:
    """Collects the refusals of independent checks (`with problems:` around each one) so a form shows every bad
    field at once; `raise_first()` raises the first refusal with all of them in its `data` when there are several."""

    def __init__(self):
        self.found = []

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback):
        if isinstance(exc, PartnerCenterError):
            self.found.append(exc)
            return True
        return False

    def raise_first(self):
        if not self.found:
            return
        first = self.found[0]
        if len(self.found) > 1:
            first.data = [{"field": e.field, "code": e.code, "description": str(e.description)} for e in self.found]
        raise first


def validate_customer_data(data, *, organisation, existing=None):
    """Check a customer's company and billing profile against Partner Center's rules (domain.md §2.2)
    and the partner's market; returns the cleaned values. `existing` is the customer being edited.
    Every field is checked: the first refusal is raised and, when there are several, its `data` lists them all."""
    clean = {}
    problems = _Problems()
    if existing is None:
        with problems:
            domain = (data.get("domain") or "").strip().lower()
            if not domain:
                raise InvalidInput(_("companyProfile.domain is required."), field="companyProfile.domain")
            if not _DOMAIN_RE.match(domain):
                raise InvalidInput(_("%(domain)s is not a valid domain name (e.g. contoso.onmicrosoft.com).")
                                   % {"domain": domain}, field="companyProfile.domain")
            if domain_taken(domain):
                raise InvalidInput(_("The domain %(domain)s is already taken. Choose another one.")
                                   % {"domain": domain}, field="companyProfile.domain")
            clean["domain"] = domain
        with problems:
            clean["company_name"] = _text(data, "company_name", "companyProfile.companyName", max_length=255)
    with problems:
        clean["billing_company_name"] = (_text(data, "billing_company_name", "billingProfile.companyName",
                                               required=False, max_length=255)
                                         or clean.get("company_name") or (existing.company_name if existing else ""))
    with problems:
        email = (data.get("email") or "").strip()
        try:
            if len(email) > MAX_EMAIL:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            raise InvalidInput(_("billingProfile.email must be a valid e-mail address."),
                               field="billingProfile.email") from None
        clean["email"] = email
    parts = ["en"]
    with problems:
        culture = (data.get("culture") or "en-US").strip()
        clean["culture"] = culture_clean(culture)
        if clean["culture"] is None:
            raise InvalidInput(_("%(culture)s is not a culture: write a language and a country, such as en-US or "
                                 "fr-FR.") % {"culture": culture[:20]}, field="billingProfile.culture")
        parts = clean["culture"].split("-")
    with problems:
        language = (data.get("language") or parts[0]).strip()
        if not _LANGUAGE_RE.match(language):
            raise InvalidInput(_("billingProfile.language must be a 2-letter language code such as en."),
                               field="billingProfile.language")
        clean["language"] = language.lower()
    for key, field, required, max_length in (
            ("first_name", "firstName", True, 50), ("last_name", "lastName", True, 50),
            ("address_line1", "addressLine1", True, 200), ("address_line2", "addressLine2", False, 200),
            ("city", "city", True, 100)):
        with problems:
            clean[key] = _text(data, key, ADDR + field, required=required, max_length=max_length)
    with problems:
        clean["region"] = _text(data, "region", ADDR + "region", required=False, max_length=50)
    code = (data.get("country") or "").strip().upper()
    country = None
    known = None
    if len(code) == 2 and code.isascii() and code.isalpha():
        known = Country.objects.select_related("region").filter(code=code).first()
    # The state and postal code by the country's rules: the same function as POST /v1/validations/address.
    address, address_problems = addresses.address_errors(country=code if known else "", state=data.get("state"),
                                                         postal_code=data.get("postal_code"))
    problems.found.extend(InvalidInput(message, field=field) for field, message in address_problems)
    clean.update(address)
    with problems:
        if len(code) != 2 or not code.isascii() or not code.isalpha():
            raise InvalidInput(_("billingProfile.defaultAddress.country must be a 2-letter ISO 3166 code."),
                               field=ADDR + "country")
        country = known
        if country is None:
            raise InvalidInput(_("%(code)s is not a known country code.") % {"code": code}, field=ADDR + "country")
        if country.region_id != organisation.country.region_id:
            raise OutsideMarket(
                _("Your partner organisation sells in the %(market)s market; a customer in %(country)s is outside "
                  "it.") % {"market": organisation.country.region.localized_name, "country": country.localized_name},
                field=ADDR + "country",
            )
        clean["country"] = country
    phone = (data.get("phone_number") or "").strip()
    with problems:
        if phone and len(phone) > 30:
            raise InvalidInput(_("The phone number has at most 30 characters."), field=ADDR + "phoneNumber")
        if phone and not phone_number_valid(phone):
            raise InvalidInput(str(PHONE_MESSAGE), field=ADDR + "phoneNumber")
    registration = (data.get("organization_registration_number") or "").strip()
    if existing is not None:
        registration = existing.organization_registration_number
    if country is not None and code in REGISTRATION_REQUIRED_COUNTRIES:
        with problems:
            if not registration:
                raise CustomerError(
                    _("Organization registration ID information is missing: it is mandatory for customers in "
                      "%(country)s.") % {"country": country.localized_name},
                    field="companyProfile.organizationRegistrationNumber", code=600049,
                    error_name="OrganizationRegistrationIdMissing")
            if not _REGISTRATION_RE.match(registration):
                raise CustomerError(
                    _("Organization registration ID information is invalid: use 4 to 50 letters, digits, spaces, "
                      "dots, slashes or dashes."),
                    field="companyProfile.organizationRegistrationNumber", code=600050,
                    error_name="OrganizationRegistrationIdInvalid")
        with problems:
            if not phone:
                raise CustomerError(
                    _("Customer phone number is missing: it is mandatory for customers in %(country)s.")
                    % {"country": country.localized_name},
                    field=ADDR + "phoneNumber", code=600051, error_name="CustomerPhoneNumberMissing")
    elif country is not None and registration and existing is None:
        with problems:
            raise CustomerError(
                _("Organization registration ID value isn't supported for customers in %(country)s: leave it empty.")
                % {"country": country.localized_name},
                field="companyProfile.organizationRegistrationNumber", code=600002,
                error_name="OrganizationRegistrationIdNotSupported")
    problems.raise_first()
    if existing is None:
        clean["organization_registration_number"] = registration
    clean["phone_number"] = phone
    return clean


def country_known(code) -> bool:
    return Country.objects.filter(code=(code or "").strip().upper()).exists()


def domain_taken(domain) -> bool:
    return Customer.objects.filter(domain__iexact=(domain or "").strip()).exists()


def _reseller_for(actor, organisation, value, *, field="associatedPartnerId"):
    """The indirect reseller an indirect provider names (by tenant id or PartnerID), or None."""
    if not value:
        return None
    if organisation.tier != Tier.INDIRECT_PROVIDER:
        raise InvalidInput(_("Only an indirect provider assigns customers to indirect resellers."), field=field)
    value = str(value).strip()
    qs = organisation.resellers.all()
    reseller = qs.filter(partner_id=value).first()
    if reseller is None:
        try:
            reseller = qs.filter(tenant_id=value).first()
        except ValidationError:
            reseller = None
    if reseller is None:
        raise InvalidInput(_("%(value)s is not one of your indirect resellers.") % {"value": value}, field=field)
    return reseller


def customer_create(*, actor, data, reseller=None):
    """Create a customer (the tenant, the reseller relationship). Returns (customer, user_credentials)."""
    require(actor, Perm.ADD_CUSTOMER)
    organisation = Organisation.objects.select_related("country__region").get(pk=actor.organisation_id)
    clean = validate_customer_data(data, organisation=organisation)
    reseller_org = _reseller_for(actor, organisation, reseller)
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                organisation=organisation, reseller=reseller_org, created_by_id=actor.user_id,
                relationship=RelationshipToPartner.RESELLER, **clean,
            )
            audit_record(actor=actor, action="customer.created", obj=customer, subject=customer,
                         data={"domain": customer.domain, "country": customer.country_id,
                               "reseller": reseller_org.partner_id if reseller_org else None})
    except IntegrityError:
        raise InvalidInput(_("The domain %(domain)s is already taken. Choose another one.") % {"domain": clean["domain"]},
                           field="companyProfile.domain") from None
    # The customer's first administrator, as Partner Center returns it once at creation.
    credentials = {"userName": f"admin@{customer.domain}", "password": secrets.token_urlsafe(12)}
    return customer, credentials


def customer_update_billing_profile(*, actor, customer, data, expected_etag=None):
    require(actor, Perm.EDIT_CUSTOMER)
    with transaction.atomic():
        customer = get_for_actor_or_404(Customer.objects.select_for_update(of=("self",)), actor, pk=customer.pk)
        check_etag(customer, expected_etag)
        organisation = Organisation.objects.select_related("country__region").get(pk=customer.organisation_id)
        clean = validate_customer_data(data, organisation=organisation, existing=customer)
        changed = {}
        for key, value in clean.items():
            old = getattr(customer, key)
            if old != value:
                changed[key] = [str(old), str(value)]
                setattr(customer, key, value)
        if not changed:
            return customer
        customer.version += 1
        customer.save()
        audit_record(actor=actor, action="customer.billing_profile_updated", obj=customer, subject=customer,
                     data={"changes": changed})
    return customer


def customer_assign_reseller(*, actor, customer, reseller, field="reseller"):
    """An indirect provider names (or clears) the indirect reseller of record of its customer.
    `field` is the input's name in errors (the API's `associatedPartnerId`, the page's `reseller`)."""
    require(actor, Perm.EDIT_CUSTOMER)
    with transaction.atomic():
        customer = get_for_actor_or_404(Customer.objects.select_for_update(of=("self",)), actor, pk=customer.pk)
        if customer.organisation_id != actor.organisation_id:
            raise NotFound()
        organisation = Organisation.objects.get(pk=actor.organisation_id)
        reseller_org = _reseller_for(actor, organisation, reseller, field=field) if reseller else None
        if organisation.tier != Tier.INDIRECT_PROVIDER:
            raise InvalidInput(_("Only an indirect provider assigns customers to indirect resellers."), field=field)
        before = customer.reseller.partner_id if customer.reseller_id else None
        customer.reseller = reseller_org
        customer.save(update_fields=["reseller"])
        audit_record(actor=actor, action="customer.reseller_assigned", obj=customer, subject=customer,
                     data={"from": before, "to": reseller_org.partner_id if reseller_org else None})
    return customer


def customer_remove_delegated_access(*, actor, customer):
    """Partner Center's remove-DAP (`PATCH /v1/customers/{id}` with `{"AllowDelegatedAccess": false}`): the partner
    gives up its delegated admin privileges in the customer's tenant and keeps the reseller relationship. Recorded
    on the customer (`allow_delegated_access`, shown on its page) and audited; removing it again changes nothing.
    Only the customer can grant it again, by accepting an invitation that asks for it."""
    require(actor, Perm.EDIT_CUSTOMER)
    with transaction.atomic():
        customer = get_for_actor_or_404(Customer.objects.select_for_update(of=("self",)), actor, pk=customer.pk)
        if customer.organisation_id != actor.organisation_id:
            raise NotFound()
        if not customer.allow_delegated_access:
            return customer
        customer.allow_delegated_access = False
        customer.save(update_fields=["allow_delegated_access"])
        audit_record(actor=actor, action="customer.delegated_access_removed", obj=customer, subject=customer)
    return customer


def require_relationship(customer):
    """Purchases and attestations need the reseller relationship (Partner Center 20002)."""
    if not customer.has_relationship:
        raise NoCommerceRelationship(
            _("Your organisation has no reseller relationship with %(customer)s. Send the customer a reseller "
              "relationship invitation first.") % {"customer": customer.company_name},
            parameters={"customerId": str(customer.tenant_id)})


def active_items(customer):
    """What the registered counters find still active for the customer (ActiveItems with a count above zero)."""
    return [item for counter in ACTIVE_SUBSCRIPTION_COUNTERS for item in counter(customer) if item.count > 0]


def relationship_remove_blocker(customer, active=None):
    """Why the reseller relationship cannot be removed now, naming what is active as the customer page shows it
    ("Contoso still has an active Azure plan and 2 active Azure subscriptions: ..."), or None when it can be."""
    active = active_items(customer) if active is None else active
    if not active:
        return None
    texts = [item.text for item in active]
    listed = texts[0] if len(texts) == 1 else _("%(items)s and %(last)s") % {"items": ", ".join(texts[:-1]),
                                                                           "last": texts[-1]}
    return _("%(customer)s still has %(items)s: the reseller relationship can be removed only once none is "
             "left.") % {"customer": customer.company_name, "items": listed}


def relationship_remove(*, actor, customer):
    """A Global admin ends the reseller relationship; refused while anything is still active."""
    require(actor, Perm.REMOVE_RESELLER_RELATIONSHIP)
    with transaction.atomic():
        customer = get_for_actor_or_404(Customer.objects.select_for_update(of=("self",)), actor, pk=customer.pk)
        if customer.organisation_id != actor.organisation_id:
            raise NotFound()
        if not customer.has_relationship:
            raise Conflict(_("There is no reseller relationship with this customer any more."))
        active = active_items(customer)
        if active:
            raise ActiveSubscriptions(relationship_remove_blocker(customer, active),
                                      parameters={"activeSubscriptions": sum(item.count for item in active)})
        customer.relationship = RelationshipToPartner.NONE
        customer.allow_delegated_access = False
        customer.relationship_removed_at = timezone.now()
        customer.version += 1
        customer.save()
        audit_record(actor=actor, action="customer.relationship_removed", obj=customer, subject=customer)
    return customer


# ---------------------------------------------------------------- invitations


def _invitation_url(request_row) -> str:
    from django.urls import reverse

    token = signing.dumps(str(request_row.public_id), salt=INVITATION_SALT)
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("customers:customer_invitation", args=[token])


def relationship_request_create(*, actor, include_delegated_admin=False, reseller=None, customer=None):
    """Generate a reseller relationship invitation; returns (request, url).

    Without `customer` the invitation is for a new customer: accepting it creates one. With
    `customer` (one of this partner's customers whose relationship was removed) accepting it restores
    that customer's relationship, and only that one."""
    require(actor, Perm.REQUEST_RESELLER_RELATIONSHIP)
    organisation = Organisation.objects.get(pk=actor.organisation_id)
    if organisation.tier == Tier.INDIRECT_RESELLER:
        raise PartnerCenterError(
            _("An indirect reseller asks its indirect provider to send the invitation."), status=403, code=2032,
            error_name="AccessDenied")
    reseller_org = _reseller_for(actor, organisation, reseller, field="reseller") if reseller else None
    if customer is not None:
        customer = get_for_actor_or_404(Customer.objects.all(), actor, pk=customer.pk)
        if customer.organisation_id != organisation.pk:
            raise NotFound()
        if customer.has_relationship:
            raise Conflict(_("You already have a reseller relationship with %(customer)s.")
                           % {"customer": customer.company_name})
    with transaction.atomic():
        row = RelationshipRequest.objects.create(
            organisation=organisation, reseller=reseller_org, include_delegated_admin=bool(include_delegated_admin),
            created_by_id=actor.user_id, customer=customer,
            expires_at=timezone.now() + timedelta(days=settings.RELATIONSHIP_REQUEST_DAYS),
        )
        audit_record(actor=actor, action="relationship_request.created", obj=row,
                     data={"delegated_admin": row.include_delegated_admin,
                           "reseller": reseller_org.partner_id if reseller_org else None})
    return row, _invitation_url(row)


def relationship_request_from_token(token) -> RelationshipRequest:
    """The pending invitation behind a link, or InvitationInvalid saying why (tampered, used, expired)."""
    try:
        public_id = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        raise InvitationInvalid(_("This invitation link is not valid: it was changed or cut short.")) from None
    row = RelationshipRequest.objects.select_related("organisation__country__region", "reseller").filter(
        public_id=public_id).first()
    if row is None or row.status == RelationshipRequestStatus.REVOKED:
        raise InvitationInvalid(_("This invitation was withdrawn by the partner."))
    if row.status == RelationshipRequestStatus.ACCEPTED:
        raise InvitationInvalid(_("This invitation was already accepted. Ask your partner for a new one if needed."))
    if row.is_expired:
        raise InvitationInvalid(_("This invitation expired. Ask your partner to send a new one."))
    return row


def relationship_request_revoke(*, actor, request_row):
    """Withdraw a pending invitation: its link stops working at once."""
    require(actor, Perm.REQUEST_RESELLER_RELATIONSHIP)
    with transaction.atomic():
        row = get_for_actor_or_404(RelationshipRequest.objects.select_for_update(), actor, pk=request_row.pk)
        if row.status != RelationshipRequestStatus.PENDING:
            raise Conflict(_("Only a pending invitation can be withdrawn."))
        status_move(row, RelationshipRequestStatus.REVOKED)
        audit_record(actor=actor, action="relationship_request.revoked", obj=row)
    return row


def relationship_request_accept(*, token, data, accept_mca=False):
    """The customer's global admin accepts with relationship `reseller`: an invitation for a new
    customer creates it (a domain that already belongs to a customer is refused: the link does not
    prove who owns it); an invitation sent for one of the partner's former customers restores that
    customer's relationship and changes nothing else of it. Accepting the MCA here records the
    customer's own acceptance. Single-use under concurrency (row lock)."""
    from accounts.actors import system_actor

    row = relationship_request_from_token(token)
    with transaction.atomic():
        row = RelationshipRequest.objects.select_for_update().get(pk=row.pk)
        if row.status != RelationshipRequestStatus.PENDING:
            raise InvitationInvalid(_("This invitation was already accepted. Ask your partner for a new one if needed."))
        organisation = Organisation.objects.select_related("country__region").get(pk=row.organisation_id)
        acceptor = f"{(data.get('first_name') or '').strip()} {(data.get('last_name') or '').strip()}".strip()
        actor = system_actor(organisation, label=f"customer admin {data.get('email', '')}".strip())
        if row.customer_id:
            customer = Customer.objects.select_for_update().get(pk=row.customer_id)
            clean = {key: (data.get(key) or "").strip() for key in ("first_name", "last_name", "email")}
            clean["phone_number"] = (data.get("phone_number") or "").strip()
            if customer.has_relationship:
                raise InvitationInvalid(_("This invitation was already accepted. Ask your partner for a new one if "
                                          "needed."))
            customer.relationship = RelationshipToPartner.RESELLER
            customer.relationship_removed_at = None
            customer.allow_delegated_access = row.include_delegated_admin
            if row.reseller_id:
                customer.reseller_id = row.reseller_id
            customer.version += 1
            customer.save()
            action = "customer.relationship_restored"
        else:
            clean = validate_customer_data(data, organisation=organisation)
            try:
                with transaction.atomic():
                    customer = Customer.objects.create(
                        organisation=organisation, reseller_id=row.reseller_id,
                        relationship=RelationshipToPartner.RESELLER,
                        allow_delegated_access=row.include_delegated_admin, **clean)
            except IntegrityError:
                raise InvalidInput(_("The domain %(domain)s is already taken. Choose another one.")
                                   % {"domain": clean["domain"]}, field="companyProfile.domain") from None
            action = "customer.created_by_invitation"
        row.accepted_at = timezone.now()
        row.accepted_by_name = acceptor[:120]
        row.accepted_by_email = clean["email"][:254]
        row.customer = customer
        status_move(row, RelationshipRequestStatus.ACCEPTED,
                    fields=("accepted_at", "accepted_by_name", "accepted_by_email", "customer"))
        audit_record(actor=actor, action=action, obj=customer, subject=customer,
                     data={"invitation": str(row.public_id), "delegated_admin": row.include_delegated_admin})
        audit_record(actor=actor, action="relationship_request.accepted", obj=row, subject=customer)
        # Later apps react (agreements records the customer's own MCA acceptance), in this transaction.
        registry.invitation_accepted(actor=actor, customer=customer, request_row=row, accept_mca=accept_mca,
                                     contact={key: clean[key] for key in ("first_name", "last_name", "email",
                                                                          "phone_number")})
    return customer
