"""Carts and orders (Partner Center's ordering): a cart holds the Azure plan line, its checkout places the order
that provisioning fulfils."""

import re
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.tenancy import TenantManager

from ..choices import CART_TRANSITIONS, ORDER_TRANSITIONS, CartStatus, OrderStatus
from .scoping import customer_q as _customer_q

ALTERNATE_ID = re.compile(r"[0-9a-fA-F]{12}")  # the shape of an order's alternateId (what _alternate_id makes)


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
    STATUS_TRANSITIONS = CART_TRANSITIONS

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Cart {self.public_id} ({self.status})"

    @classmethod
    def tenant_q(cls, actor):
        if actor.tier == "indirect_reseller":
            # A reseller sees the carts whose lines name it as reseller of record, not its customer's others.
            return (Q(Exists(CartLineItem.objects.filter(cart=OuterRef("pk"), reseller_id=actor.organisation_id)))
                    & Q(customer__reseller_id=actor.organisation_id))
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
    STATUS_TRANSITIONS = ORDER_TRANSITIONS
    etag_field = "status"  # no version column: an order changes only its status (core.api.etag)

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
