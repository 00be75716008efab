"""Carts, orders, the Azure plan (a Partner Center subscription of the customer), the Azure
subscriptions under it and their Azure role assignments (the input of partner earned credit)."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.tenancy import TenantManager

from ..choices import (
    AzureSubscriptionStatus,
    CancellationReason,
    CartStatus,
    OrderStatus,
    PlanStatus,
    PrincipalType,
)


def _customer_q(actor, prefix="customer__", reseller_field=None):
    """Rows of the actor's customers: the selling partner's. An indirect reseller sees its customers'
    rows (carts) or, where a row names its reseller of record (orders, plans and what hangs under a
    plan), only the rows where it is that reseller."""
    if actor.tier == "indirect_reseller":
        return Q(**{reseller_field or f"{prefix}reseller_id": actor.organisation_id})
    return Q(**{f"{prefix}organisation_id": actor.organisation_id})


def _alternate_id():
    return secrets.token_hex(6)


class Cart(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="carts")
    status = models.CharField(max_length=10, choices=CartStatus.choices, default=CartStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    checked_out_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Cart {self.public_id} ({self.status})"

    @classmethod
    def tenant_q(cls, actor):
        if actor.tier == "indirect_reseller":
            # A reseller sees the carts whose lines name it as reseller of record, not its customer's others.
            return Q(Exists(CartLineItem.objects.filter(cart=OuterRef("pk"), reseller_id=actor.organisation_id)))
        return _customer_q(actor)


class CartLineItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="line_items")
    line_number = models.PositiveIntegerField()
    availability = models.ForeignKey("azureplan.Availability", on_delete=models.PROTECT, related_name="+")
    catalog_item_id = models.CharField(max_length=200)
    friendly_name = models.CharField(max_length=128, blank=True)
    quantity = models.PositiveIntegerField()
    billing_cycle = models.CharField(max_length=20)
    reseller = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")  # participants transaction_reseller
    order_group = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["line_number"]
        constraints = [models.UniqueConstraint(fields=["cart", "line_number"], name="cart_line_number_unique")]


class Order(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the order id on the wire
    alternate_id = models.CharField(max_length=12, default=_alternate_id, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="orders")
    cart = models.ForeignKey(Cart, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    reseller = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")  # the reseller of record, for indirect providers
    billing_cycle = models.CharField(max_length=20, default="one_time")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    error_reason = models.TextField(blank=True)
    # Placed by a transition from legacy Azure: provisioning then creates no first Azure subscription (the
    # legacy ones move under the plan instead).
    upgrade = models.ForeignKey("azureplan.ProductUpgrade", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="orders")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="order_customer_time")]

    def __str__(self):
        return f"Order {self.alternate_id} ({self.status})"

    @classmethod
    def tenant_q(cls, actor):
        return _customer_q(actor, reseller_field="reseller_id")


class OrderLineItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="line_items")
    line_number = models.PositiveIntegerField()
    availability = models.ForeignKey("azureplan.Availability", on_delete=models.PROTECT, related_name="+")
    offer_id = models.CharField(max_length=200)
    friendly_name = models.CharField(max_length=128, blank=True)
    quantity = models.PositiveIntegerField()
    plan = models.ForeignKey("azureplan.AzurePlan", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="order_lines")
    fulfilled = models.BooleanField(default=False)

    class Meta:
        ordering = ["line_number"]
        constraints = [models.UniqueConstraint(fields=["order", "line_number"], name="order_line_number_unique")]


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

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "delete_after"], name="azsub_deletion_due")]

    def __str__(self):
        return f"{self.friendly_name} ({self.status})"

    @classmethod
    def tenant_q(cls, actor):
        return _customer_q(actor, "plan__customer__", reseller_field="plan__reseller_id")


class AzureRole(models.Model):
    """An Azure built-in role and whether holding it earns partner earned credit (domain.md §3.5)."""

    name = models.CharField(max_length=100, primary_key=True)
    pec_eligible = models.BooleanField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


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
