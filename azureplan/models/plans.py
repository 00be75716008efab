"""The Azure plan (a Partner Center subscription of the customer), the Azure subscriptions under it and their
Azure role assignments (the input of partner earned credit)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.tenancy import TenantManager

from ..choices import (
    AZURE_SUBSCRIPTION_TRANSITIONS,
    PLAN_TRANSITIONS,
    AzureSubscriptionStatus,
    CancellationReason,
    PlanStatus,
    PrincipalType,
)
from .catalog import AzureRole
from .ordering import Order
from .scoping import customer_q as _customer_q


class AzurePlan(models.Model):
    """The Azure plan: a Partner Center subscription of the customer, one per customer per reseller of
    record (a partial unique index: two checkouts at the same moment give one plan)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the subscription id
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="azure_plans")
    reseller = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="plans")
    offer_id = models.CharField(max_length=200)
    friendly_name = models.CharField(max_length=128, default="Azure plan")
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = TenantManager()
    STATUS_TRANSITIONS = PLAN_TRANSITIONS

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "reseller"], nulls_distinct=False,
                                    condition=~Q(status=PlanStatus.CANCELLED),
                                    name="one_azure_plan_per_customer_and_reseller"),
        ]

    def __str__(self):
        return f"{self.friendly_name} ({self.status})"

    @classmethod
    def tenant_q(cls, actor):
        return _customer_q(actor, reseller_field="reseller_id")


class AzureSubscription(models.Model):
    """An Azure subscription under a plan (Partner Center's AzureEntitlement)."""

    subscription_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the entitlement id
    plan = models.ForeignKey(AzurePlan, on_delete=models.PROTECT, related_name="azure_subscriptions")
    friendly_name = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=AzureSubscriptionStatus.choices,
                              default=AzureSubscriptionStatus.ACTIVE)
    reseller = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=32, choices=CancellationReason.choices, blank=True)
    delete_after = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = TenantManager()
    STATUS_TRANSITIONS = AZURE_SUBSCRIPTION_TRANSITIONS

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "delete_after"], name="azsub_deletion_due")]

    def __str__(self):
        return f"{self.friendly_name} ({self.status})"

    @classmethod
    def tenant_q(cls, actor):
        return _customer_q(actor, "plan__customer__", reseller_field="plan__reseller_id")


class RoleAssignment(models.Model):
    """A role on an Azure subscription (or a resource group in it). Removal keeps the row with its end,
    so eligibility can be decided day by day."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    azure_subscription = models.ForeignKey(AzureSubscription, on_delete=models.PROTECT,
                                           related_name="role_assignments")
    resource_group = models.CharField(max_length=90, blank=True)  # empty: the whole subscription
    principal_type = models.CharField(max_length=32, choices=PrincipalType.choices)
    principal_id = models.CharField(max_length=100)
    principal_name = models.CharField(max_length=200)
    partner = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")  # the partner a partner principal belongs to
    role = models.ForeignKey(AzureRole, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = TenantManager()

    class Meta:
        ordering = ["granted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["azure_subscription", "resource_group", "principal_id", "role"],
                                    condition=Q(removed_at__isnull=True), name="role_assignment_active_once"),
        ]

    def __str__(self):
        return f"{self.role_id} for {self.principal_name}"

    @classmethod
    def tenant_q(cls, actor):
        return _customer_q(actor, "azure_subscription__plan__customer__",
                           reseller_field="azure_subscription__plan__reseller_id")

    @property
    def scope(self) -> str:
        base = f"/subscriptions/{self.azure_subscription.subscription_id}"
        return f"{base}/resourceGroups/{self.resource_group}" if self.resource_group else base
