"""Monthly billing runs, invoices and credit notes, their lines, and payments (domain.md §2.14, §3.6, §3.9, §4.4,
§4.5; docs/billing.md "Invoicing").

- A `BillingRun` bills one organisation (the billing partner of the usage: a direct-bill partner or an indirect
  provider) for one closed calendar month. Its state and progress are its `core.Job` (one job per run); the run
  is fanned out by chunks of customers (`BillingRunChunk`), each written once (the chunk's `done_at` and the
  invoice line's unique key make a repeated or resumed chunk write nothing).
- An `Invoice` is Partner Center's `Invoice` (api.md §16.1): `documentType` Invoice or Credit Note, `amendsOf`
  the invoice a credit note corrects. A draft has no number; finalizing draws the next `G` number from the
  organisation's gap-free `InvoiceCounter` in the same transaction, so a number is never skipped or used twice.
  A finalized (or paid, or void) invoice and its lines cannot change: database triggers refuse it (migration
  0007), whatever the code path.
- An `InvoiceLine` is one customer x Azure plan x meter x PEC rate of the month, with Microsoft's reconciliation
  fields (domain.md §4.4). A credit note's lines point at the lines they correct (`amends_line`), with negative
  amounts.
- A `Payment` is money received from the organisation; `PaymentAllocation`s spread it over invoices. Balances are
  derived from them, never stored (DESIGN.md §3 "Money"); what is not allocated is the overpayment.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .usage import AMOUNT_DIGITS, AMOUNT_PLACES, PRICE_DIGITS, PRICE_PLACES, QTY_DIGITS, QTY_PLACES, RATE_DIGITS, RATE_PLACES

INVOICE_PREFIX = "G"  # new commerce (Azure plan) invoices: domain.md §3.6.10


class BillingRunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Scheduled (the 1st of the month)")
    MANUAL = "manual", _("Started by a user")


class BillingRun(models.Model):
    """One billing of one organisation's month. Status and progress: `job` (core.Job, kind "billing_run")."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # the first day of the month billed
    job = models.OneToOneField("core.Job", on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=16, choices=BillingRunTrigger.choices)
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lines_written = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_by_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "month"], name="billingrun_org_month")]
        constraints = [models.CheckConstraint(condition=models.Q(month__day=1), name="billingrun_first_day")]

    def __str__(self):
        return f"billing run {self.public_id} ({self.month:%Y-%m})"


class BillingRunChunk(models.Model):
    """A slice of the run's customers (by id range), billed by one task; `done_at` set in the transaction that
    wrote its lines, so a resumed run skips it and a repeated task writes nothing."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_customer_id = models.BigIntegerField()
    last_customer_id = models.BigIntegerField()
    lines_written = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="billingrunchunk_once")]


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINALIZED = "finalized", _("Finalized")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


INVOICE_TRANSITIONS = {
    InvoiceStatus.DRAFT: {InvoiceStatus.FINALIZED, InvoiceStatus.VOID},
    InvoiceStatus.FINALIZED: {InvoiceStatus.PAID, InvoiceStatus.VOID},
    InvoiceStatus.PAID: {InvoiceStatus.FINALIZED},  # a payment allocation removed: owed again
    InvoiceStatus.VOID: set(),
}


class DocumentType(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceCounter(models.Model):
    """The organisation's gap-free invoice number sequence: locked and incremented in the transaction that
    finalizes an invoice or issues a credit note (never a PostgreSQL sequence: those skip on rollback)."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=4, default=INVOICE_PREFIX)
    last_value = models.PositiveBigIntegerField(default=0)


class Invoice(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=16, null=True, blank=True)  # G000000001; NULL while draft
    document_type = models.CharField(max_length=16, choices=DocumentType.choices, default=DocumentType.INVOICE)
    amends_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="amendments")
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    period_start = models.DateField()
    period_end = models.DateField()
    invoice_date = models.DateField(null=True, blank=True)  # set when finalized
    due_date = models.DateField(null=True, blank=True)  # invoice date + 60 days (net 60, domain.md §3.6.3)
    currency = models.CharField(max_length=3)  # the billing currency
    pricing_currency = models.CharField(max_length=3, default="USD")
    # Totals of the lines (sums, never typed in): charges are the positive lines, credits the negative ones.
    pricing_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0)
    total_charges = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0)
    total_credits = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0)
    subtotal = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0)
    tax_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0)
    total_amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0)
    line_count = models.PositiveIntegerField(default=0)
    reason = models.TextField(blank=True)  # a credit note's reason
    pdf = models.BinaryField(null=True, blank=True)  # rendered once when finalized, served as the same bytes
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_by_label = models.CharField(max_length=255, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)  # "invoice ready" sent to Global and Billing admins
    version = models.PositiveIntegerField(default=1)

    STATUS_TRANSITIONS = INVOICE_TRANSITIONS

    class Meta:
        ordering = ["-period_start", "-id"]
        indexes = [models.Index(fields=["organisation", "-invoice_date", "-id"], name="invoice_org_date")]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], condition=models.Q(number__isnull=False),
                                    name="invoice_number_once"),
            # One invoice per organisation and month (a void one does not count): a repeated run writes nothing.
            models.UniqueConstraint(fields=["organisation", "period_start"],
                                    condition=models.Q(document_type="invoice") & ~models.Q(status="void"),
                                    name="invoice_one_per_month"),
            models.CheckConstraint(condition=models.Q(status__in=["draft", "void"]) | models.Q(number__isnull=False),
                                   name="invoice_numbered_when_issued"),
            models.CheckConstraint(condition=models.Q(document_type="invoice", amends_of__isnull=True)
                                   | models.Q(document_type="credit_note", amends_of__isnull=False),
                                   name="invoice_credit_note_amends"),
        ]

    def __str__(self):
        return self.number or f"draft {self.public_id}"


class InvoiceLine(models.Model):
    """One customer x Azure plan x meter x PEC rate of the billed month (or a credit note's correction of such a
    line), with the invoice reconciliation file's fields (domain.md §4.4)."""

    id = models.BigAutoField(primary_key=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    organisation_id = models.BigIntegerField()
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    azure_plan = models.ForeignKey("azureplan.AzurePlan", on_delete=models.PROTECT, related_name="+")
    reseller_id = models.BigIntegerField(null=True, blank=True)  # the plan's indirect reseller of record
    amends_line = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="corrections")
    product_id = models.CharField(max_length=64)
    sku_id = models.CharField(max_length=64)
    availability_id = models.CharField(max_length=64, blank=True)
    meter_id = models.CharField(max_length=64)
    product_name = models.TextField(blank=True)
    sku_name = models.TextField(blank=True)
    meter_name = models.TextField(blank=True)
    meter_category = models.TextField(blank=True)
    meter_subcategory = models.TextField(blank=True)
    meter_region = models.TextField(blank=True)
    unit_type = models.TextField(blank=True)
    publisher_name = models.TextField(blank=True)
    publisher_id = models.TextField(blank=True)
    charge_type = models.TextField(blank=True)
    pec_percentage = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    price_adjustment_description = models.TextField(blank=True)  # ["15.0% Partner earned credit for services managed"]
    quantity = models.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    billable_quantity = models.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    unit_price = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES)
    effective_unit_price = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES)
    pricing_currency = models.CharField(max_length=3, default="USD")
    pricing_pre_tax_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    currency = models.CharField(max_length=3)  # the billing currency
    subtotal = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    tax_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0)
    total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    exchange_rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_PLACES)
    exchange_rate_date = models.DateField(null=True, blank=True)
    charge_start_date = models.DateField()
    charge_end_date = models.DateField()
    usage_rows = models.PositiveIntegerField(default=0)  # the rated usage rows summed into the line

    class Meta:
        ordering = ["invoice", "id"]
        indexes = [models.Index(fields=["organisation_id", "customer"], name="invoiceline_org_customer")]
        constraints = [
            # Exactly once: a repeated or resumed chunk of a billing run cannot write a line twice.
            models.UniqueConstraint(fields=["invoice", "customer", "azure_plan", "meter_id", "product_id", "sku_id",
                                            "charge_type", "pec_percentage"],
                                    condition=models.Q(amends_line__isnull=True), name="invoiceline_once"),
        ]


class Payment(models.Model):
    """Money received from the organisation (a Billing admin records it), spread over invoices by allocations."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    currency = models.CharField(max_length=3)
    received_on = models.DateField()
    reference = models.CharField(max_length=100)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_by_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="paymentallocation_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="paymentallocation_amount_positive"),
        ]
