"""The usage pages of the Billing workspace: the upload (the import runs in the background), an import's page (a
progress bar polled with htmx while it runs, then the report and the bad lines) and the rows kept aside. Reading needs
Perm.VIEW_SPEND, uploading Perm.IMPORT_USAGE; the same services and selectors as the API."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Perm, allowed
from accounts.views.portal import portal_page
from core.errors import PartnerCenterError
from core.models import JobStatus

from . import selectors, services
from .forms import UsageImportForm
from .messages import import_message

PER_PAGE = 50


def _base(request, tab, **extra):
    return {"tab": tab, "can_import": allowed(request.actor, Perm.IMPORT_USAGE), **extra}


@require_http_methods(["GET", "POST"])
@portal_page(Perm.VIEW_SPEND)
def usage_import(request):
    actor = request.actor
    form = UsageImportForm()
    status = 200
    if request.method == "POST":
        if not allowed(actor, Perm.IMPORT_USAGE):
            from accounts.views.portal import forbidden

            return forbidden(request, Perm.IMPORT_USAGE)
        form = UsageImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                record = services.usage_import_start(actor=actor, fileobj=upload, file_name=upload.name or "")
            except PartnerCenterError as exc:
                form.add_error("file", str(exc.description))
            else:
                return redirect("billing:usage-import-detail", public_id=record.public_id)
        status = 400
    imports = selectors.import_list(actor=actor)[:20]
    return render(request, "billing/usage/import.html", _base(request, "import", form=form, imports=imports),
                  status=status)


def _detail_context(request, record):
    job = record.job
    running = job is not None and job.status in (JobStatus.PENDING, JobStatus.RUNNING)
    # The summary in the reader's language (the report keeps it in the language of whoever started the import).
    report = {**(record.report or {}), "message": "" if running else import_message(record)}
    return _base(request, "import", record=record, job=job, running=running, report=report,
                 status=(job.status if job else report.get("status", "succeeded")),
                 result=(job.result if job else {}) or {}, bad_rows=report.get("errors") or [],
                 unmatched=selectors.unmatched_list(actor=request.actor, waiting=None, usage_import=record)[:50],
                 customers=selectors.import_customers(actor=request.actor, record=record) if not running else [])


@require_GET
@portal_page(Perm.VIEW_SPEND)
def usage_import_detail(request, public_id):
    record = selectors.import_get(actor=request.actor, public_id=public_id)
    context = _detail_context(request, record)
    if request.htmx:
        return render(request, "billing/usage/inc/import_progress.html", context)
    return render(request, "billing/usage/import_detail.html", context)


@require_GET
@portal_page(Perm.VIEW_SPEND)
def usage_unmatched(request):
    state = request.GET.get("state") or "waiting"
    waiting = {"waiting": True, "matched": False, "all": None}.get(state, True)
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    paginator = Paginator(selectors.unmatched_list(actor=request.actor, waiting=waiting), PER_PAGE)
    if number > paginator.num_pages and paginator.count:
        raise Http404
    return render(request, "billing/usage/unmatched.html",
                  _base(request, "unmatched", page=paginator.get_page(number), state=state))
