"""This portal's extensions for payments, credit notes and the credit limit (docs/api.md "Invoicing extensions"):

- GET/POST /v1/payments, GET /v1/payments/{id}: payments received, recorded by a Billing admin;
- POST /v1/invoices/{id}/creditnotes: a credit note for chosen lines of an invoice;
- GET /v1/creditlimit: the credit limit formula's parts (domain.md §3.9).
Writes honour MS-RequestId / Idempotency-Key (core.api.idempotency, as every POST). Views parse and call
billing.invoicing.payments, credit_notes, credit and page_selectors."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.pagination import collection, seek_page
from core.api.schema import CONTINUATION, SIZE, collection_schema, pc_schema
from core.api.serializers import PCSerializer
from core.api.views import PCAPIView
from core.errors import InvalidInput, NotFound

from .. import page_selectors, selectors
from ..credit_notes import credit_note_issue
from ..payments import payment_record
from .invoices import invoice_key, resources
from .serializers import InvoiceSerializer, plain

EXT_TAGS = ["Invoicing (extension)"]


def _money(value) -> str:
    return f"{value:.2f}"


class AllocationSerializer(serializers.Serializer):
    invoiceId = serializers.CharField(source="invoice.number")
    amount = serializers.SerializerMethodField()

    def get_amount(self, obj) -> str:
        return _money(obj.amount)


class PaymentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    amount = serializers.SerializerMethodField()
    currencyCode = serializers.CharField(source="currency")
    receivedOn = serializers.DateField(source="received_on")
    reference = serializers.CharField()
    note = serializers.CharField()
    allocatedAmount = serializers.SerializerMethodField()
    unallocatedAmount = serializers.SerializerMethodField()
    allocations = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    createdBy = serializers.CharField(source="created_by_label")
    attributes = serializers.SerializerMethodField()

    def _allocated(self, obj):
        return sum((a.amount for a in obj.allocations.all()), obj.amount * 0)

    def get_amount(self, obj) -> str:
        return _money(obj.amount)

    def get_allocatedAmount(self, obj) -> str:
        return _money(self._allocated(obj))

    def get_unallocatedAmount(self, obj) -> str:
        """What is kept as overpayment."""
        return _money(obj.amount - self._allocated(obj))

    def get_allocations(self, obj) -> list[dict]:
        # .all(): the list prefetches the allocations and their invoices (no query per payment)
        return AllocationSerializer(sorted(obj.allocations.all(), key=lambda a: a.pk), many=True).data

    def get_attributes(self, obj) -> dict:
        return {"objectType": "Payment"}


class AllocationInput(PCSerializer):
    invoiceId = serializers.CharField(max_length=64)
    amount = serializers.CharField(max_length=32)


class PaymentInput(PCSerializer):
    amount = serializers.CharField(max_length=32)
    currencyCode = serializers.CharField(max_length=3)
    receivedOn = serializers.CharField(max_length=32)
    reference = serializers.CharField(max_length=100)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    allocations = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True,
                                        help_text="[{invoiceId, amount}]; left out: the oldest unpaid invoices first")


class CreditNoteLineInput(PCSerializer):
    lineId = serializers.CharField(max_length=32)
    amount = serializers.CharField(max_length=32, required=False, allow_null=True,
                                   help_text="Left out or null: all the line still has")


class CreditNoteInput(PCSerializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)
    lines = serializers.ListField(child=serializers.DictField())


class CreditNoteLineSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    amendsLineId = serializers.CharField(source="amends_line_id")
    customerId = serializers.CharField(source="customer.tenant_id")
    productId = serializers.CharField(source="product_id")
    skuId = serializers.CharField(source="sku_id")
    meterId = serializers.CharField(source="meter_id")
    meterName = serializers.CharField(source="meter_name")
    quantity = serializers.SerializerMethodField()
    subtotal = serializers.SerializerMethodField()
    pricingPreTaxTotal = serializers.SerializerMethodField()

    def get_quantity(self, obj) -> str:
        return plain(obj.quantity)  # a string, as the billing line items write it: no float's digits

    def get_subtotal(self, obj) -> str:
        return _money(obj.subtotal)

    def get_pricingPreTaxTotal(self, obj) -> str:
        return _money(obj.pricing_pre_tax_total)


class CreditNoteSerializer(InvoiceSerializer):
    """The credit note as GET /v1/invoices/{id} shows it (documentType adjustment_note), with its reason and lines."""

    reason = serializers.CharField()
    lines = CreditNoteLineSerializer(many=True)


def credit_note_body(note) -> dict:
    return {**resources([note])[0], "reason": note.reason,
            "lines": CreditNoteLineSerializer(note.lines.select_related("customer").order_by("id"), many=True).data}


class CreditLimitSerializer(serializers.Serializer):
    creditLimit = serializers.CharField()
    currencyCode = serializers.CharField()
    enforced = serializers.BooleanField()
    incomingPurchases = serializers.CharField()
    unpaidInvoices = serializers.CharField()
    unbilledCharges = serializers.CharField()
    overpayment = serializers.CharField()
    available = serializers.CharField()
    billingCurrency = serializers.CharField()
    attributes = serializers.DictField()


def position_body(position) -> dict:
    return {"creditLimit": _money(position.limit), "currencyCode": "USD", "enforced": position.enforced,
            "incomingPurchases": _money(position.incoming), "unpaidInvoices": _money(position.unpaid),
            "unbilledCharges": _money(position.unbilled), "overpayment": _money(position.overpayment),
            "available": _money(position.available), "billingCurrency": position.billing_currency,
            "attributes": {"objectType": "CreditLimit"}}


class PaymentListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES, "POST": Perm.RECORD_PAYMENTS}

    @pc_schema(ok=collection_schema("PaymentCollection", PaymentSerializer, paged=True), errors=(400, 401, 403, 429),
               parameters=[SIZE, CONTINUATION], summary="Extension: payments received, newest first", tags=EXT_TAGS,
               operation_id="payments_list")
    def get(self, request):
        rows = selectors.payments_for(self.actor(request)).prefetch_related("allocations__invoice")
        page, token = seek_page(request, rows, ordering=("-received_on", "-id"), scope=["payments"])
        return Response(collection(PaymentSerializer(page, many=True).data, request, next_token=token))

    @pc_schema(ok=PaymentSerializer, ok_status=201, request=PaymentInput, errors=(400, 401, 403, 404, 409, 429),
               summary="Extension: record a payment received", tags=EXT_TAGS, operation_id="payments_create",
               description="Billing admin. `currencyCode` is the organisation's billing currency; `amount` has at "
                           "most 2 decimals. Without `allocations` the payment settles the oldest unpaid invoices "
                           "first; what is not allocated is kept as overpayment. An invoice whose balance reaches 0 "
                           "becomes paid. 409/990320 for an allocation to an invoice that owes nothing. A retry with "
                           "the same MS-RequestId replays the answer.")
    def post(self, request):
        data = self.validated(PaymentInput, request)
        allocations = data.get("allocations")
        if allocations:
            allocations = [AllocationInput(data=item).run_validation(item) if isinstance(item, dict) else item
                           for item in allocations]
        payment = payment_record(actor=self.actor(request), amount=data["amount"], currency=data["currencyCode"],
                                 received_on=data["receivedOn"], reference=data["reference"],
                                 allocations=allocations, note=data.get("note", ""))
        response = Response(PaymentSerializer(payment).data, status=201)
        response["Location"] = f"/v1/payments/{payment.public_id}"
        return response


class PaymentDetailView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    @pc_schema(ok=PaymentSerializer, parameters=[OpenApiParameter("payment_id", str, OpenApiParameter.PATH)],
               summary="Extension: one payment and its allocations", tags=EXT_TAGS, operation_id="payments_get")
    def get(self, request, payment_id):
        try:
            payment = page_selectors.payment_get(actor=self.actor(request), public_id=payment_id)
        except Http404:
            raise NotFound(_("No payment %(id)s.") % {"id": payment_id}) from None
        return Response(PaymentSerializer(payment).data)


class CreditNoteView(PCAPIView):
    required_permissions = {"POST": Perm.ISSUE_CREDIT_NOTES}

    @pc_schema(ok=CreditNoteSerializer, ok_status=201, request=CreditNoteInput, errors=(400, 401, 403, 404, 409, 429),
               parameters=[OpenApiParameter("invoice_id", str, OpenApiParameter.PATH)],
               summary="Extension: issue a credit note for lines of an invoice", tags=EXT_TAGS,
               operation_id="invoices_creditnotes_create",
               description="Billing admin. Body {reason, lines: [{lineId, amount}]} (`amount` left out: all the line "
                           "still has). The answer is the credit note as GET /v1/invoices/{id} shows it (its own G "
                           "number, documentType adjustment_note, amendsOf the invoice) with its reason and lines; "
                           "a line's lineId is the billing line item's lineId. 409/990320 when the invoice is not "
                           "finalized or paid; 400/800002 naming the "
                           "line when an amount is more than the line has left. Nothing is written on any error.")
    def post(self, request, invoice_id):
        actor = self.actor(request)
        invoice = selectors.invoice_get(actor, invoice_key(invoice_id))  # foreign or unknown: 404 whatever the body
        data = self.validated(CreditNoteInput, request)
        lines = {}
        for item in data["lines"]:
            item = CreditNoteLineInput(data=item).run_validation(item)
            key = str(item["lineId"]).strip()
            if key in lines:
                raise InvalidInput(_("Line %(line)s is named twice.") % {"line": key}, field="lines")
            lines[key] = item.get("amount")
        note = credit_note_issue(actor=actor, invoice=invoice, lines=lines, reason=data["reason"])
        response = Response(credit_note_body(note), status=201)
        response["Location"] = f"/v1/invoices/{note.number}"
        return response


class CreditLimitView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    @pc_schema(ok=CreditLimitSerializer, errors=(401, 403, 429),
               summary="Extension: the credit limit and what is available (USD)", tags=EXT_TAGS,
               operation_id="creditlimit_get",
               description="available = creditLimit - (incomingPurchases + unpaidInvoices + unbilledCharges - "
                           "overpayment), in USD (domain.md §3.9). A creditLimit of 0 is not enforced.")
    def get(self, request):
        _organisation, position = page_selectors.position(actor=self.actor(request))
        return Response(position_body(position))
