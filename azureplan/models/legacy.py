"""Legacy Azure (MS-AZR-0145P) subscriptions, their imports, and their transition to the Azure plan
(Partner Center's "product upgrade", domain.md §2.9).

A legacy subscription is a commerce subscription (`public_id`, the id on the wire) plus its Azure
subscription (`entitlement_id`, usually the same id). A transition moves the Azure subscription under the
matching Azure plan as an AzureSubscription with the same id, name and role assignments, suspends the legacy
commerce subscription and records the cut-over instant (`transitioned_at`): usage before it belongs to the
legacy offer, after it to the Azure plan.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.tenancy import TenantManager

from ..choices import (
    LEGACY_TRANSITIONS,
    UPGRADE_LINE_TRANSITIONS,
    UPGRADE_TRANSITIONS,
    LegacyStatus,
    UpgradeLineStatus,
    UpgradeStatus,
)
from .scoping import customer_q as _customer_q


class LegacyImport(models.Model):
    """One imported CSV file. The same file (by SHA-256) is imported once per partner: a second import of it
    adds nothing."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    already_present = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantManager()
    tenant_field = "organisation"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "sha256"], name="legacy_import_file_once")]

    def __str__(self):
        return f"Legacy import {self.file_name or self.public_id}"


class LegacySubscription(models.Model):
    public_id = models.UUIDField(unique=True)  # the commerce subscription id
    entitlement_id = models.UUIDField(unique=True)  # the Azure subscription id (usually the same)
    order_id = models.UUIDField(default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="legacy_subscriptions")
    reseller = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")  # the indirect reseller of record (indirect providers)
    friendly_name = models.CharField(max_length=128)
    status = models.CharField(max_length=12, choices=LegacyStatus.choices, default=LegacyStatus.ACTIVE)
    created_date = models.DateTimeField()  # Partner Center's creationDate, from the import
    # [{"principal_type", "principal_id", "principal_name", "role", "partner_id" (Organisation pk or null)}]
    role_assignments = models.JSONField(default=list, blank=True)
    imported_by = models.ForeignKey(LegacyImport, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="subscriptions")
    imported_at = models.DateTimeField(default=timezone.now)
    suspended_at = models.DateTimeField(null=True, blank=True)
    transitioned_at = models.DateTimeField(null=True, blank=True)  # the cut-over instant
    azure_subscription = models.OneToOneField("azureplan.AzureSubscription", null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="legacy")
    version = models.PositiveIntegerField(default=1)

    objects = TenantManager()
    STATUS_TRANSITIONS = LEGACY_TRANSITIONS

    class Meta:
        ordering = ["created_date", "id"]
        indexes = [models.Index(fields=["customer", "status"], name="legacy_customer_status")]
        constraints = [
            # Moved means suspended, with the Azure subscription it became and the cut-over instant: all or none.
            models.CheckConstraint(
                name="legacy_transition_complete",
                condition=(Q(transitioned_at__isnull=True, azure_subscription__isnull=True)
                           | Q(transitioned_at__isnull=False, azure_subscription__isnull=False,
                               status=LegacyStatus.SUSPENDED))),
        ]

    def __str__(self):
        return f"{self.friendly_name} ({self.status})"

    @classmethod
    def tenant_q(cls, actor):
        return _customer_q(actor, reseller_field="reseller_id")

    @property
    def is_transitioned(self) -> bool:
        return self.transitioned_at is not None


class ProductUpgrade(models.Model):
    """One customer's transition (Partner Center's product upgrade). At most one open (pending, in progress
    or failed) per customer: a partial unique index, so two starts at the same moment give one upgrade."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the upgrade id
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="product_upgrades")
    product_family = models.CharField(max_length=20, default="azure")
    status = models.CharField(max_length=12, choices=UpgradeStatus.choices, default=UpgradeStatus.PENDING)
    batch = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_credential_id = models.BigIntegerField(null=True, blank=True)  # an API credential that started it
    created_label = models.CharField(max_length=255, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=20, blank=True)
    error_message = models.TextField(blank=True)

    objects = TenantManager()
    STATUS_TRANSITIONS = UPGRADE_TRANSITIONS

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], name="one_open_upgrade_per_customer",
                                    condition=Q(status__in=[UpgradeStatus.PENDING, UpgradeStatus.IN_PROGRESS,
                                                            UpgradeStatus.FAILED])),
        ]
        indexes = [models.Index(fields=["batch", "status"], name="upgrade_batch_status"),
                   models.Index(fields=["status", "heartbeat_at"], name="upgrade_stalled")]

    def __str__(self):
        return f"Upgrade {self.public_id} ({self.status})"

    @classmethod
    def tenant_q(cls, actor):
        # Transitions are the selling partner's (indirect resellers go through their provider).
        return Q(customer__organisation_id=actor.organisation_id)

    @property
    def is_open(self) -> bool:
        return self.status in (UpgradeStatus.PENDING, UpgradeStatus.IN_PROGRESS)


class ProductUpgradeLine(models.Model):
    """One legacy subscription of an upgrade: moved (completed) or failed with a reason, retried alone."""

    upgrade = models.ForeignKey(ProductUpgrade, on_delete=models.CASCADE, related_name="lines")
    legacy = models.ForeignKey(LegacySubscription, on_delete=models.PROTECT, related_name="upgrade_lines")
    status = models.CharField(max_length=12, choices=UpgradeLineStatus.choices, default=UpgradeLineStatus.PENDING)
    plan = models.ForeignKey("azureplan.AzurePlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    azure_subscription = models.ForeignKey("azureplan.AzureSubscription", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    upgraded_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=20, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    STATUS_TRANSITIONS = UPGRADE_LINE_TRANSITIONS

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["upgrade", "legacy"], name="upgrade_line_once"),
            # A legacy subscription is moved exactly once, whatever upgrade moved it.
            models.UniqueConstraint(fields=["legacy"], condition=Q(status=UpgradeLineStatus.COMPLETED),
                                    name="legacy_moved_once"),
        ]

    def __str__(self):
        return f"{self.legacy_id} ({self.status})"
