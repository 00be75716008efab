"""The money pages of the Billing workspace: payments (list, record), the balance and credit limit (available credit
with the formula's parts, the limit form), and the unbilled charges of the open month by customer. Reading needs
Perm.VIEW_INVOICES; recording Perm.RECORD_PAYMENTS, setting the limit Perm.MANAGE_CREDIT_LIMIT (checked again by the
services)."""

from decimal import Decimal

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Perm, allowed
from accounts.views.portal import forbidden, form_post, portal_page
from core.portal import run_form_action

from ..templatetags.spend import amount
from . import page_selectors
from .credit import credit_limit_set
from .forms import CreditLimitForm, PaymentForm
from .payments import payment_record
from .views import PER_PAGE, page_number


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def payments(request):
    page = Paginator(page_selectors.payment_list(actor=request.actor), PER_PAGE).get_page(page_number(request))
    organisation, position = page_selectors.position(actor=request.actor)
    return render(request, "billing/invoicing/payments.html", {
        "tab": "payments", "page": page, "position": position,
        "can_record": allowed(request.actor, Perm.RECORD_PAYMENTS)})


def _payment_form(request, organisation, data=None):
    open_invoices = list(page_selectors.open_invoices(actor=request.actor))
    initial = {"received_on": timezone.now().date(), "invoice": request.GET.get("invoice") or ""}
    return PaymentForm(data, initial=initial, open_invoices=open_invoices,
                       currency=organisation.billing_currency), open_invoices


@require_http_methods(["GET", "HEAD", "POST"])
@portal_page(Perm.VIEW_INVOICES)
def payment_new(request):
    if not allowed(request.actor, Perm.RECORD_PAYMENTS):
        return forbidden(request, Perm.RECORD_PAYMENTS)
    organisation = page_selectors.organisation_of(request.actor)
    form, open_invoices = _payment_form(request, organisation, request.POST if request.method == "POST" else None)

    def page(bound, status=200):
        return render(request, "billing/invoicing/payment_form.html", {
            "tab": "payments", "form": bound, "open_invoices": open_invoices, "currency": organisation.billing_currency},
            status=status)

    if request.method != "POST":
        return page(form)

    def record(data):
        allocations = None
        chosen = next((inv for inv in open_invoices if str(inv.public_id) == data.get("invoice")), None)
        if chosen is not None:
            allocations = [{"invoiceId": chosen.number, "amount": str(min(data["amount"], chosen.balance))}]
        return payment_record(actor=request.actor, amount=str(data["amount"]), currency=organisation.billing_currency,
                              received_on=data["received_on"], reference=data["reference"], allocations=allocations,
                              note=data.get("note", ""))

    def success(payment):
        allocated = sum((a.amount for a in payment.allocations.all()), payment.amount * 0)
        text = _("Payment %(reference)s of %(amount)s %(currency)s recorded.") % {
            "reference": payment.reference, "amount": amount(payment.amount, payment.currency),
            "currency": payment.currency}
        if payment.amount > allocated:
            text += " " + _("%(rest)s %(currency)s is kept as overpayment.") % {
                "rest": amount(payment.amount - allocated, payment.currency), "currency": payment.currency}
        return text

    return run_form_action(request, form, record, success=success, redirect_to=reverse("billing:payments"),
                           on_error=lambda bound: page(bound, status=400))


def _credit_context(request, form=None):
    organisation, position = page_selectors.position(actor=request.actor)
    can_set = allowed(request.actor, Perm.MANAGE_CREDIT_LIMIT)
    if can_set and form is None:
        form = CreditLimitForm(initial={"credit_limit": organisation.credit_limit})
    overdue = page_selectors.invoice_list(actor=request.actor, overdue=True)
    return {"tab": "credit", "organisation": organisation, "position": position, "form": form if can_set else None,
            "open_invoices": page_selectors.open_invoices(actor=request.actor)[:20], "overdue_count": overdue.count()}


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def credit(request):
    return render(request, "billing/invoicing/credit.html", _credit_context(request))


@portal_page(Perm.VIEW_INVOICES)
@form_post(lambda request: reverse("billing:credit"))
def credit_limit(request):
    if not allowed(request.actor, Perm.MANAGE_CREDIT_LIMIT):
        return forbidden(request, Perm.MANAGE_CREDIT_LIMIT)
    return run_form_action(
        request, CreditLimitForm(request.POST),
        lambda data: credit_limit_set(actor=request.actor, amount=str(data["credit_limit"])),
        success=lambda org: _("The credit limit is now %(amount)s USD.") % {"amount": amount(org.credit_limit, "USD")},
        redirect_to=reverse("billing:credit"),
        on_error=lambda bound: render(request, "billing/invoicing/credit.html",
                                      _credit_context(request, form=bound), status=400))


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def unbilled(request):
    today = timezone.now().date()
    month = today.replace(day=1)
    rows = page_selectors.unbilled_by_customer(actor=request.actor, month=month, today=today)
    total = sum((r["total"] for r in rows), Decimal("0.00"))
    organisation = page_selectors.organisation_of(request.actor)
    return render(request, "billing/invoicing/unbilled.html", {
        "tab": "unbilled", "rows": rows, "month": month, "today": today, "total": total,
        "currency": organisation.billing_currency})
