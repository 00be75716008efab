"""The invoice documents' downloads in the Billing workspace: the PDF, the invoice reconciliation file and the billed
daily rated usage file of an issued invoice or credit note (Perm.VIEW_INVOICES: Global admin, Admin agent, Billing
admin; another organisation's invoice, a draft or an unknown id: 404). The invoice pages link here."""

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from accounts.permissions import Perm
from accounts.views.portal import portal_page

from . import selectors
from .pdf import ensure_pdf
from .recon import daily_usage_csv, recon_csv


def attachment_name(invoice, suffix: str) -> str:
    """G000000001.pdf, G000000001_Recon.csv, G000000001_DailyRatedUsage.csv (the number is [A-Z0-9] only)."""
    return f"{invoice.number}{suffix}"


def pdf_response(invoice) -> HttpResponse:
    response = HttpResponse(ensure_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{attachment_name(invoice, ".pdf")}"'
    response["ETag"] = f'"{invoice.pdf_sha256}"'
    return response


def _csv(chunks, filename) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def invoice_pdf(request, public_id):
    return pdf_response(selectors.invoice_get(request.actor, public_id))


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def invoice_recon(request, public_id):
    invoice = selectors.invoice_get(request.actor, public_id)
    return _csv(recon_csv(invoice), attachment_name(invoice, "_Recon.csv"))


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def invoice_daily_usage(request, public_id):
    invoice = selectors.invoice_get(request.actor, public_id)
    return _csv(daily_usage_csv(invoice), attachment_name(invoice, "_DailyRatedUsage.csv"))
