"""The billing runs pages of the Billing workspace: the runs (newest first) with the "Start a billing run" form, and a
run's page (its progress polled with htmx while it runs, then the invoice it finalized). Reading needs
Perm.VIEW_INVOICES, starting or resuming Perm.RUN_BILLING; the same services as the API (billing.invoicing.runs)."""

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Perm, allowed
from accounts.views.portal import forbidden, portal_page
from core.errors import PartnerCenterError
from core.models import JobStatus

from . import runs
from .finalize import invoice_url
from .selectors import runs_for

PER_PAGE = 25


class MonthInput(forms.TextInput):
    input_type = "month"


class BillingRunForm(forms.Form):
    month = forms.CharField(
        label=_("Month to bill"), max_length=7,
        help_text=_("A closed month, before the current one. Its rated usage becomes one invoice."),
        widget=MonthInput(attrs={"class": "form-control", "placeholder": "YYYY-MM", "autocomplete": "off"}))

    def clean_month(self):
        try:
            return runs.closed_month(self.cleaned_data["month"])
        except PartnerCenterError as exc:  # the same message as the API's
            raise forms.ValidationError(str(exc.description)) from None


def _start_form(organisation_id):
    """The start form with the latest month still to bill (runs.month_to_bill), or empty saying why."""
    month = runs.month_to_bill(organisation_id)
    form = BillingRunForm(initial={"month": f"{month:%Y-%m}" if month else ""})
    if month is None:
        form.fields["month"].help_text = _("Every closed month with usage is invoiced already: there is nothing to "
                                           "bill now. Last month is billed by itself on the 1st.")
    return form


def run_get(actor, public_id):
    run = runs_for(actor).filter(public_id=public_id).first()
    if run is None:
        raise Http404(str(public_id))
    return run


@require_http_methods(["GET", "POST"])
@portal_page(Perm.VIEW_INVOICES)
def run_list(request):
    actor = request.actor
    can_run = allowed(actor, Perm.RUN_BILLING)
    form = None
    status = 200
    if request.method == "POST":
        if not can_run:
            return forbidden(request, Perm.RUN_BILLING)
        form = BillingRunForm(request.POST)
        if form.is_valid():
            try:
                run = runs.billing_run_start(actor=actor, organisation_id=actor.organisation_id,
                                             month=form.cleaned_data["month"])
            except PartnerCenterError as exc:
                form.add_error("month", str(exc.description))
            else:
                return redirect("billing:run_detail", public_id=run.public_id)
        status = 400
    if form is None and can_run:  # only who may start a run sees the form
        form = _start_form(actor.organisation_id)
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    page = Paginator(runs_for(actor), PER_PAGE).get_page(number)
    return render(request, "billing/runs/list.html",
                  {"tab": "runs", "form": form, "can_run": can_run, "page": page}, status=status)


def _detail_context(request, run):
    job = run.job
    running = job.status in (JobStatus.PENDING, JobStatus.RUNNING)
    invoice = run.invoice
    finalized = invoice is not None and invoice.status != "draft"
    chunks = run.chunks.all()
    return {"tab": "runs", "run": run, "job": job, "running": running, "invoice": invoice, "finalized": finalized,
            "invoice_url": invoice_url(invoice) if finalized else "",
            "chunks_done": sum(1 for c in chunks if c.done_at), "chunks": len(chunks),
            "lines_written": sum(c.lines_written for c in chunks),
            "can_resume": allowed(request.actor, Perm.RUN_BILLING) and job.status == JobStatus.FAILED}


@require_GET
@portal_page(Perm.VIEW_INVOICES)
def run_detail(request, public_id):
    run = run_get(request.actor, public_id)
    context = _detail_context(request, run)
    if request.htmx:
        return render(request, "billing/runs/inc/progress.html", context)
    return render(request, "billing/runs/detail.html", context)


@require_POST
@portal_page(Perm.RUN_BILLING)
def run_resume(request, public_id):
    run = run_get(request.actor, public_id)
    runs.billing_run_resume(run, actor=request.actor)
    return redirect("billing:run_detail", public_id=run.public_id)
