"""GET /v1/invoices/{id}/documents/statement (api.md §16): the invoice's or credit note's PDF, the same bytes every
time (billing.invoicing.pdf.ensure_pdf). `{id}` is the number (G000000001) or the public id; another
organisation's invoice, a draft or an unknown id answers Partner Center's 404 envelope (1000)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from accounts.permissions import Perm
from core.api.schema import pc_schema
from core.api.views import PCAPIView

from ...pricing.api.views import AnyAcceptNegotiation
from .. import selectors
from ..pdf import ensure_pdf
from .invoices import invoice_key

INVOICE_ID = OpenApiParameter("invoice_id", str, OpenApiParameter.PATH,
                              description="The invoice number (e.g. G000000001) or the invoice's public id")


class InvoiceStatementView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}
    content_negotiation_class = AnyAcceptNegotiation

    @pc_schema(ok=OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf: the invoice statement"),
               errors=(401, 403, 404, 429), parameters=[INVOICE_ID],
               summary="Get an invoice statement (the PDF)", tags=["Invoices"],
               description="The PDF of an issued invoice or credit note (application/pdf, attachment named after "
                           "the number): rendered once when first asked for (or when the billing run finalizes "
                           "the invoice), then the same stored bytes every time; the `ETag` is its SHA-256.",
               operation_id="invoices_documents_statement")
    def get(self, request, invoice_id):
        invoice = selectors.invoice_get(self.actor(request), invoice_key(invoice_id))  # OneTime-G... too
        response = HttpResponse(ensure_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="Invoice_{invoice.number}.pdf"'
        response["ETag"] = f'"{invoice.pdf_sha256}"'
        return response
