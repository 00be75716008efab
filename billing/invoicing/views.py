"""The invoice pages of the Billing workspace: the invoices and credit notes (filters: status, document type, month
range, number), an invoice (header, totals, paid, balance, overdue; lines grouped by customer then meter; its credit
notes and payments; the downloads; the credit note form). Reading needs Perm.VIEW_INVOICES; issuing a credit note
Perm.ISSUE_CREDIT_NOTES (checked again by billing.invoicing.credit_notes, the API's service)."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import Perm, allowed
from accounts.views.portal import forbidden, form_post, portal_page
from core.portal import run_form_action

from ..models import DocumentType, InvoiceStatus
from ..templatetags.spend import amount
from . import page_selectors
from .credit_notes import credit_note_issue
from .forms import CreditNoteForm

PER_PAGE = 50
SEARCH_MAX = 32
DOWNLOADS = (("pdf", "billing:invoice_pdf", "invoice.pdf"), ("recon", "billing:invoice_recon", "recon.csv"),
             ("daily", "billing:invoice_daily_usage", "daily-usage.csv"))


def page_number(request):
    try:
        return min(max(int(request.GET.get("page") or 1), 1), 100_000)
    except ValueError:
        return 1


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def invoices(request):
    status = request.GET.get("status") or ""
    doc_type = request.GET.get("type") or ""
    month_from = page_selectors.month_of(request.GET.get("from") or "")
    month_to = page_selectors.month_of(request.GET.get("to") or "")
    q = (request.GET.get("q") or "").strip()[:SEARCH_MAX]
    overdue = request.GET.get("overdue") == "1"
    rows = page_selectors.invoice_list(actor=request.actor, status=status, document_type=doc_type,
                                       month_from=month_from, month_to=month_to, search=q, overdue=overdue)
    page = Paginator(rows, PER_PAGE).get_page(page_number(request))
    query = {k: v for k, v in {"status": status, "type": doc_type, "q": q, "overdue": "1" if overdue else "",
                               "from": f"{month_from:%Y-%m}" if month_from else "",
                               "to": f"{month_to:%Y-%m}" if month_to else ""}.items() if v}
    return render(request, "billing/invoicing/invoices.html", {
        "tab": "invoices", "page": page, "status": status, "doc_type": doc_type, "q": q, "overdue": overdue,
        "month_from": month_from, "month_to": month_to, "query": urlencode(query), "filtered": bool(query),
        # The badges (Open, Partly paid, Overdue) are all a finalized invoice with a balance: one filter for them.
        "statuses": [(InvoiceStatus.FINALIZED.value, _("Not paid yet (open, partly paid or overdue)")),
                     (InvoiceStatus.PAID.value, InvoiceStatus.PAID.label),
                     (InvoiceStatus.VOID.value, InvoiceStatus.VOID.label)],
        "doc_types": DocumentType.choices,
    })


def downloads(invoice):
    """[(key, url)]: the download views another part of invoicing provides, by name, else their plain paths."""
    out = []
    for key, name, file_name in DOWNLOADS:
        try:
            url = reverse(name, args=[invoice.public_id])
        except NoReverseMatch:
            url = f"/billing/invoices/{invoice.public_id}/{file_name}"
        out.append((key, url))
    return out


def render_invoice(request, invoice, *, form=None, status=200):
    actor = request.actor
    groups = page_selectors.lines_by_customer(invoice)
    can_credit = (allowed(actor, Perm.ISSUE_CREDIT_NOTES) and invoice.document_type == DocumentType.INVOICE
                  and invoice.status in (InvoiceStatus.FINALIZED, InvoiceStatus.PAID))
    if can_credit and form is None:
        form = CreditNoteForm(lines=[line for group in groups for line in group.lines])
    if can_credit:
        for group in groups:
            for line in group.lines:
                if f"pick_{line.pk}" in form.fields:
                    line.pick_field, line.amount_field = form[f"pick_{line.pk}"], form[f"line_{line.pk}"]
    lines = [line for group in groups for line in group.lines if line.exchange_rate]
    # Every line of a month carries the month's rate (lines_sql); shown when the billing currency is not USD.
    exchange_rate = ({"rate": max(line.exchange_rate for line in lines),
                      "day": max((line.exchange_rate_date for line in lines if line.exchange_rate_date), default=None)}
                     if lines else None)
    return render(request, "billing/invoicing/invoice.html", {
        "tab": "invoices", "invoice": invoice, "groups": groups, "downloads": dict(downloads(invoice)),
        "exchange_rate": exchange_rate,
        "credit_notes": page_selectors.credit_notes_of(invoice) if invoice.document_type == DocumentType.INVOICE
        else [], "payments": page_selectors.payments_of(invoice),
        "can_credit": can_credit, "form": form if can_credit else None,
        "can_pay": allowed(actor, Perm.RECORD_PAYMENTS) and invoice.balance > 0,
    }, status=status)


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def invoice_detail(request, public_id):
    return render_invoice(request, page_selectors.invoice_detail(actor=request.actor, public_id=public_id))


def _invoice_home(request, public_id):
    """Where a reload of the credit note URL goes back to: the invoice (a foreign id is still 404)."""
    invoice = page_selectors.invoice_detail(actor=request.actor, public_id=public_id)
    return reverse("billing:invoice_detail", args=[invoice.public_id])


@portal_page(Perm.VIEW_INVOICES)
@form_post(_invoice_home)
def invoice_credit_note(request, public_id):
    invoice = page_selectors.invoice_detail(actor=request.actor, public_id=public_id)
    if not allowed(request.actor, Perm.ISSUE_CREDIT_NOTES):
        return forbidden(request, Perm.ISSUE_CREDIT_NOTES)
    groups = page_selectors.lines_by_customer(invoice)
    form = CreditNoteForm(request.POST, lines=[line for group in groups for line in group.lines])
    return run_form_action(
        request, form,
        lambda data: credit_note_issue(actor=request.actor, invoice=invoice, lines=form.chosen(),
                                       reason=data["reason"]),
        success=lambda note: _("Credit note %(number)s issued: %(amount)s %(currency)s.") % {
            "number": note.number, "amount": amount(-note.total_amount, note.currency), "currency": note.currency},
        redirect_to=lambda note: reverse("billing:invoice_detail", args=[note.public_id]),
        on_error=lambda bound: render_invoice(request, invoice, form=bound, status=400))
