import uuid

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantManager

from .choices import RELATIONSHIP_REQUEST_TRANSITIONS, RelationshipRequestStatus, RelationshipToPartner


class Customer(models.Model):
    """A customer tenant of a partner: company profile, billing profile and the reseller relationship.

    `organisation` is the partner that sells to it (a direct-bill partner or an indirect provider);
    `reseller` is the indirect reseller of record an indirect provider assigned, whose users see it too.
    """

    tenant_id = models.UUIDField(_("customer id"), unique=True, default=uuid.uuid4)  # id on the wire
    commerce_id = models.UUIDField(unique=True, default=uuid.uuid4)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="customers")
    reseller = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reseller_customers", verbose_name=_("indirect reseller"))
    # Company profile
    domain = models.CharField(_("domain"), max_length=255)
    company_name = models.CharField(_("company name"), max_length=255)
    organization_registration_number = models.CharField(_("organisation registration number"), max_length=50,
                                                        blank=True)
    # Billing profile
    billing_profile_id = models.UUIDField(default=uuid.uuid4, editable=False)
    email = models.EmailField(_("e-mail"))
    culture = models.CharField(_("culture"), max_length=10, default="en-US")
    language = models.CharField(_("language"), max_length=8, default="en")
    billing_company_name = models.CharField(_("billing company name"), max_length=255)
    first_name = models.CharField(_("first name"), max_length=50)
    last_name = models.CharField(_("last name"), max_length=50)
    address_line1 = models.CharField(_("address line 1"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(_("state"), max_length=3, blank=True)  # AU NSW, MX CMX: customers.addresses
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.ForeignKey("accounts.Country", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("country"))
    region = models.CharField(_("region"), max_length=50, blank=True)
    phone_number = models.CharField(_("phone number"), max_length=30, blank=True)
    # Relationship
    relationship = models.CharField(max_length=20, choices=RelationshipToPartner.choices,
                                    default=RelationshipToPartner.RESELLER)
    allow_delegated_access = models.BooleanField(default=False)
    relationship_removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    version = models.PositiveIntegerField(default=1)  # etag of the billing profile

    objects = TenantManager()

    class Meta:
        ordering = ["company_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("domain"), name="customer_domain_unique_ci"),
        ]
        indexes = [
            models.Index(fields=["organisation", "company_name", "id"], name="customer_org_name"),
            models.Index(fields=["reseller", "company_name", "id"], name="customer_reseller_name"),
            # Case-insensitive prefix search (istartswith = UPPER(x) LIKE 'ABC%'): pattern ops make it indexable,
            # and the partner (or reseller) leads so the range holds only the caller's matches. The list asks
            # the planner to filter first (core.api.pagination.seek_page(filter_first=True)), so a search
            # always starts from these, whatever ANALYZE last sampled.
            models.Index(F("organisation"), OpClass(Upper("company_name"), name="varchar_pattern_ops"),
                         name="customer_org_name_prefix"),
            models.Index(F("organisation"), OpClass(Upper("domain"), name="varchar_pattern_ops"),
                         name="customer_org_domain_prefix"),
            models.Index(F("reseller"), OpClass(Upper("company_name"), name="varchar_pattern_ops"),
                         name="customer_res_name_prefix"),
            models.Index(F("reseller"), OpClass(Upper("domain"), name="varchar_pattern_ops"),
                         name="customer_res_domain_prefix"),
        ]

    def __str__(self):
        return self.company_name

    @classmethod
    def tenant_q(cls, actor):
        """A partner sees the customers it sells to; an indirect reseller those it is the reseller of.
        (One plain condition each, so the (organisation|reseller, company_name, id) indexes serve the list.)"""
        if actor.tier == "indirect_reseller":
            return models.Q(reseller_id=actor.organisation_id)
        return models.Q(organisation_id=actor.organisation_id)

    @property
    def has_relationship(self) -> bool:
        return self.relationship == RelationshipToPartner.RESELLER


class RelationshipRequest(models.Model):
    """An invitation link for a customer's global admin to accept a reseller relationship.

    The link carries a signed token naming this row; it is single-use (status) and expires.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                     related_name="relationship_requests")
    reseller = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    include_delegated_admin = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=RelationshipRequestStatus.choices,
                              default=RelationshipRequestStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by_name = models.CharField(max_length=120, blank=True)
    accepted_by_email = models.EmailField(blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="relationship_requests")

    objects = TenantManager()
    STATUS_TRANSITIONS = RELATIONSHIP_REQUEST_TRANSITIONS
    tenant_field = "organisation"

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Invitation {self.public_id} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
