"""Legacy Azure (MS-AZR-0145P) and its transition to the Azure plan, as pages: the workspace (customers with legacy
subscriptions, their eligibility, batches), the CSV import, a batch's live progress, and the customer page's
"Legacy Azure" section (one customer's transition, its lines, rename and retry of failed ones).

Every rule is azureplan.legacy.services' (the import azureplan.legacy.importer's); every read
azureplan.legacy.selectors'. A foreign id answers 404 (looked up
through the tenant scope before the role is checked); a refusal of a service is shown on the page (beside the field,
or as an alert), never as a 500. Pages that follow background work poll a partial with htmx while it runs."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as account_selectors
from accounts.choices import Tier
from accounts.permissions import MATRIX, Perm, allowed, requirement_text, role_labels
from accounts.views.portal import forbidden, form_post, portal_page
from core import csv as core_csv
from core.errors import PartnerCenterError
from core.forms import apply_error
from core.models import JobStatus
from customers import selectors as customer_selectors

from ..choices import LegacyStatus, UpgradeLineStatus
from . import importer, services
from . import selectors as lsel
from .forms import LegacyImportForm, LegacyRenameForm
from .transition import lines_worth_retrying

ANCHOR = "legacy-azure"
EXAMPLE_CELLS = (
    ("4c721420-72ad-4708-a0a7-371a2f7b0969", "8e2b3c1d-5a6f-4e7d-9c0b-1a2b3c4d5e6f", "Contoso production", "",
     "2019-05-10", ""),
    ("4c721420-72ad-4708-a0a7-371a2f7b0969", "1f0e9d8c-7b6a-4c5d-8e9f-0a1b2c3d4e5f", "Contoso test", "", "2020-11-02",
     "customer_user:5d7e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a:Reader;partner_admin_agents::Owner"),
)
EXAMPLE_ROWS = tuple(core_csv.to_text([row]).rstrip("\n") for row in EXAMPLE_CELLS)


def _customer_url(customer):
    return reverse("customers:customer_detail", args=[customer.tenant_id]) + f"#{ANCHOR}"


def _not_found_if_404(exc):
    if getattr(exc, "status", None) == 404:
        raise Http404 from None


# ---------------------------------------------------------------- the workspace


def _start_blocked(actor, organisation):
    """Why this person may not start transitions ("" when they may)."""
    if organisation.tier == Tier.INDIRECT_RESELLER:
        return _("You see the legacy Azure subscriptions of the customers you are the reseller of record of, but an "
                 "indirect reseller can't transition them: your indirect provider starts the transition.")
    if not allowed(actor, Perm.TRANSITION_LEGACY_AZURE):
        return _("Starting transitions: %(needs)s") % {"needs": requirement_text(Perm.TRANSITION_LEGACY_AZURE)}
    return ""


def _workspace_context(request, *, error=None, chosen=()):
    actor = request.actor
    organisation = account_selectors.organisation_get(actor=actor)
    customers = lsel.legacy_customers(actor=actor)
    blocked = _start_blocked(actor, organisation)
    eligible_ids = set()
    reasons = {}
    if customers:
        eligible, skipped = services.eligibility_in_bulk(actor, customers)
        eligible_ids = {c.pk for c in eligible}
        reasons = {s["customerId"]: s["reason"] for s in skipped}
    for customer in customers:
        customer.is_eligible = customer.pk in eligible_ids
        if customer.is_eligible:
            customer.eligibility = _("Ready to transition")
        elif not customer.legacy_active and customer.legacy_moved:
            customer.eligibility = _("Done: every legacy subscription is on the Azure plan.")
        else:
            customer.eligibility = reasons.get(str(customer.tenant_id), "")
    batches = lsel.batch_list(actor=actor) if not organisation.tier == Tier.INDIRECT_RESELLER else []
    return {
        "customers": customers, "eligible_count": len(eligible_ids), "can_start": not blocked, "blocked": blocked,
        "can_import": allowed(actor, Perm.IMPORT_LEGACY_AZURE), "batches": batches,
        "imports": lsel.import_list(actor=actor, limit=5) if allowed(actor, Perm.IMPORT_LEGACY_AZURE) else [],
        "error": error, "chosen": {str(c) for c in chosen}, "tab": "legacy",
    }


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def legacy_workspace(request):
    return render(request, "azureplan/legacy_workspace.html", _workspace_context(request))


def _uuids(values):
    result = []
    for value in values:
        try:
            result.append(uuid.UUID(str(value).strip()))
        except ValueError:
            raise Http404 from None
    return result


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(lambda request: reverse("azureplan:legacy_workspace"))
def legacy_batch_start(request):
    """Start one batch: the chosen customers (`customers`, tenant ids) or every eligible one (`scope=all`)."""
    actor = request.actor
    all_eligible = request.POST.get("scope") == "all"
    chosen = [] if all_eligible else _uuids(v for v in request.POST.getlist("customers") if v.strip())
    customers = None
    if not all_eligible:
        customers = list(customer_selectors.customer_list(actor=actor, include_removed=True).filter(
            tenant_id__in=chosen).select_related("organisation"))
        if len(customers) != len(set(chosen)):
            raise Http404  # a customer of another partner (or none at all)
    if not allowed(actor, Perm.TRANSITION_LEGACY_AZURE):
        return forbidden(request, Perm.TRANSITION_LEGACY_AZURE)
    try:
        started = services.batch_start(actor=actor, customers=customers, all_eligible=all_eligible)
    except PartnerCenterError as exc:
        skipped = exc.parameters.get("skipped") or []
        error = {"text": str(exc.description), "code": exc.code, "skipped": skipped}
        return render(request, "azureplan/legacy_workspace.html",
                      _workspace_context(request, error=error, chosen=chosen), status=400)
    text = ngettext("The transition of %(n)s customer started.", "The transition of %(n)s customers started.",
                    started.started) % {"n": started.started}
    if started.skipped:
        text += " " + ngettext("%(n)s customer was skipped: see why below.", "%(n)s customers were skipped: see why "
                               "below.", len(started.skipped)) % {"n": len(started.skipped)}
    messages.success(request, text)
    return redirect("azureplan:legacy_batch_detail", public_id=started.job.public_id)


# ---------------------------------------------------------------- the import


def _import_context(request, form, *, bad_rows=None, bad_total=0):
    return {"form": form, "bad_rows": bad_rows or [], "bad_total": max(bad_total, len(bad_rows or [])),
            "columns": importer.TEMPLATE_HEADER.split(","),
            "header": importer.TEMPLATE_HEADER, "example": EXAMPLE_ROWS, "imports": lsel.import_list(actor=request.actor),
            "is_indirect_provider": account_selectors.organisation_get(actor=request.actor).tier
            == Tier.INDIRECT_PROVIDER, "tab": "legacy"}


@require_http_methods(["GET", "POST"])
@portal_page(Perm.IMPORT_LEGACY_AZURE)
def legacy_import_page(request):
    if request.method == "GET":
        return render(request, "azureplan/legacy_import.html", _import_context(request, LegacyImportForm()))
    form = LegacyImportForm(request.POST, request.FILES)
    bad_rows, bad_total = None, 0
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = importer.legacy_import(actor=request.actor, content=upload.read(), file_name=upload.name)
        except PartnerCenterError as exc:
            if exc.field in (None, "", "file", "fileName"):
                form.add_error("file", str(exc.description))
            else:
                apply_error(form, exc)
            bad_rows = exc.data
            bad_total = exc.parameters.get("totalCount", len(exc.data))
        else:
            if result.repeated:
                messages.info(request, _("“%(file)s” was already imported on %(date)s: nothing added.") % {
                    "file": upload.name, "date": date_format(result.legacy_import.created_at, "DATETIME_FORMAT")})
            else:
                messages.success(request, _("“%(file)s” is imported: %(added)s legacy subscriptions added, %(present)s "
                                            "already present.") % {"file": upload.name, "added": result.added,
                                                                   "present": result.already_present})
            return redirect("azureplan:legacy_workspace")
    return render(request, "azureplan/legacy_import.html",
                  _import_context(request, form, bad_rows=bad_rows, bad_total=bad_total), status=400)


@require_GET
@portal_page(Perm.IMPORT_LEGACY_AZURE)
def legacy_import_template(request):
    return core_csv.csv_response([importer.TEMPLATE_HEADER.split(","), *EXAMPLE_CELLS],
                                 filename="legacy-azure-template.csv")


# ---------------------------------------------------------------- a batch


def _batch_context(request, job, *, error=None):
    actor = request.actor
    result = job.result or {}
    running = job.status in (JobStatus.PENDING, JobStatus.RUNNING)
    # A cancelled batch's customers already under way finish: keep showing their progress until they have.
    finishing = result.get("customersInProgress", 0) + (result.get("customersPending", 0) if running else 0)
    return {
        "job": job, "running": running, "error": error,
        "polling": running or bool(result.get("customersInProgress", 0)), "finishing": finishing,
        "lines_moved": result.get("linesMoved", 0), "lines_failed": result.get("linesFailed", 0),
        "customers_completed": result.get("customersCompleted", 0),
        "customers_failed": result.get("customersFailed", 0),
        "customers_cancelled": result.get("customersCancelled", 0),
        "failures": lsel.batch_failures(actor=actor, job=job),
        "upgrades": lsel.batch_upgrades(actor=actor, job=job),
        "skipped": (job.params or {}).get("skipped", []),
        "can_cancel": running and allowed(actor, Perm.TRANSITION_LEGACY_AZURE), "tab": "legacy",
    }


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def legacy_batch_detail(request, public_id):
    """The batch's progress; while it runs, htmx asks for the progress partial every 2 s."""
    job = lsel.batch_get(actor=request.actor, public_id=public_id)
    context = _batch_context(request, job)
    if request.htmx:
        return render(request, "azureplan/inc/legacy_batch_progress.html", context)
    return render(request, "azureplan/legacy_batch.html", context)


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(lambda request, public_id: reverse("azureplan:legacy_batch_detail", args=[lsel.batch_get(
    actor=request.actor, public_id=public_id).public_id]))
def legacy_batch_cancel(request, public_id):
    job = lsel.batch_get(actor=request.actor, public_id=public_id)
    if not allowed(request.actor, Perm.TRANSITION_LEGACY_AZURE):
        return forbidden(request, Perm.TRANSITION_LEGACY_AZURE)
    try:
        job = services.batch_cancel(actor=request.actor, job=job)
    except PartnerCenterError as exc:
        job.refresh_from_db()
        return render(request, "azureplan/legacy_batch.html", _batch_context(request, job, error=str(exc.description)),
                      status=409 if exc.status == 409 else 400)
    cancelled = (job.result or {}).get("cancelledCustomers", 0)
    messages.success(request, ngettext(
        "The batch is cancelled: %(n)s customer not yet started will not transition; those already running finish.",
        "The batch is cancelled: %(n)s customers not yet started will not transition; those already running finish.",
        cancelled) % {"n": cancelled})
    return redirect("azureplan:legacy_batch_detail", public_id=job.public_id)


# ---------------------------------------------------------------- the customer page's section


def legacy_customer_context(request, customer):
    """The customer page's "Legacy Azure" section (customers.views._render_detail): what
    `selectors.legacy_section` says, the rename forms and who may start or retry; {"show": False} when the customer
    has no legacy subscription. A failed POST of this module leaves its bound forms and refusal on
    `request.legacy_overrides`."""
    actor = request.actor
    section = lsel.legacy_section(actor=actor, customer=customer)
    if section is None:
        return {"show": False}
    overrides = getattr(request, "legacy_overrides", None) or {}
    blocked = _start_blocked(actor, account_selectors.organisation_get(actor=actor))
    eligibility = services.upgrade_eligibility(actor=actor, customer=customer)

    def rename_form(legacy):
        # The box starts with the current name, to be shortened or changed.
        return overrides.get("rename", {}).get(legacy.pk) or LegacyRenameForm(
            auto_id=f"rename{legacy.pk}_%s", initial={"friendly_name": legacy.friendly_name})

    for line in section.lines:
        if line.needs_rename:
            line.rename_form = rename_form(line.legacy)
    for sub in section.subs:
        sub.rename_form = rename_form(sub) if sub.renamable else None
    return {
        "show": True, "subs": section.subs, "eligibility": eligibility, "upgrade": section.upgrade,
        "lines": section.lines, "any_failed": section.any_failed, "too_long": section.too_long,
        "active_count": section.active_count, "has_reseller": section.has_reseller,
        "can_start": not blocked and eligibility.is_eligible, "blocked": blocked,
        # Retry is offered once something changed for a failed line (a retry that fails the same way fills logs).
        "can_retry": (not blocked and bool(section.failed) and bool(lines_worth_retrying(
            line for line in section.lines
            if line.status == UpgradeLineStatus.FAILED and not line.legacy.is_transitioned))),
        "retry_waits": not blocked and bool(section.failed),
        "rename_roles": ("" if allowed(actor, Perm.IMPORT_LEGACY_AZURE)
                         else role_labels(MATRIX[Perm.IMPORT_LEGACY_AZURE].any_of)),
        "polling": section.polling, "upgrade_open": section.upgrade_open, "completed": section.completed,
        "error": overrides.get("error"),
    }


def _customer_page(request, customer, overrides, status=400):
    from customers.views import _render_detail

    request.legacy_overrides = overrides
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=customer.tenant_id)
    return _render_detail(request, customer, status=status)


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_legacy_section(request, tenant_id):
    """The section alone, which htmx asks for every 2 s while the customer's transition runs."""
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    legacy = legacy_customer_context(request, customer)
    response = render(request, "azureplan/inc/customer_legacy.html", {"customer": customer, "legacy": legacy})
    if request.htmx and not legacy.get("polling"):
        # The transition just finished: the Azure plan section above changed too (a new plan, moved subscriptions).
        response["HX-Refresh"] = "true"
    return response


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(lambda request, tenant_id: _customer_url(customer_selectors.customer_get(actor=request.actor,
                                                                                   tenant_id=tenant_id)))
def customer_legacy_start(request, tenant_id):
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.TRANSITION_LEGACY_AZURE):
        return forbidden(request, Perm.TRANSITION_LEGACY_AZURE)
    try:
        services.upgrade_start(actor=request.actor, customer=customer)
    except PartnerCenterError as exc:
        return _customer_page(request, customer, {"error": {"text": str(exc.description), "code": exc.code}},
                              status=409 if exc.status == 409 else 400)
    messages.success(request, _("The transition of %(customer)s to the Azure plan started. The Legacy Azure section "
                                "follows it.") % {"customer": customer.company_name})
    return redirect(_customer_url(customer))


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(lambda request, tenant_id, upgrade_id: _customer_url(customer_selectors.customer_get(
    actor=request.actor, tenant_id=tenant_id)))
def customer_legacy_retry(request, tenant_id, upgrade_id):
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    try:
        upgrade = lsel.upgrade_get(actor=request.actor, upgrade_id=upgrade_id, customer=customer)
    except PartnerCenterError as exc:
        raise Http404 from exc  # unknown, foreign, or another customer's upgrade
    if not allowed(request.actor, Perm.TRANSITION_LEGACY_AZURE):
        return forbidden(request, Perm.TRANSITION_LEGACY_AZURE)
    try:
        services.upgrade_retry(actor=request.actor, upgrade=upgrade)
    except PartnerCenterError as exc:
        _not_found_if_404(exc)
        return _customer_page(request, customer, {"error": {"text": str(exc.description), "code": exc.code}},
                              status=409 if exc.status == 409 else 400)
    messages.success(request, _("The failed subscriptions of %(customer)s are transitioning again.")
                     % {"customer": customer.company_name})
    return redirect(_customer_url(customer))


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(lambda request, public_id: _customer_url(
    lsel.legacy_get_by_id(actor=request.actor, public_id=public_id).customer))
def legacy_subscription_rename(request, public_id):
    legacy = lsel.legacy_get_by_id(actor=request.actor, public_id=public_id)
    customer = legacy.customer
    if not allowed(request.actor, Perm.IMPORT_LEGACY_AZURE):
        return forbidden(request, Perm.IMPORT_LEGACY_AZURE)
    form = LegacyRenameForm(request.POST, auto_id=f"rename{legacy.pk}_%s")
    if form.is_valid():
        try:
            legacy = services.legacy_rename(actor=request.actor, legacy=legacy, name=form.cleaned_data["friendly_name"])
        except PartnerCenterError as exc:
            _not_found_if_404(exc)
            apply_error(form, exc)
        else:
            if lsel.legacy_failed_to_move(actor=request.actor, legacy=legacy):
                message = _("The legacy subscription is now called “%(name)s”. Retry the failed subscriptions to "
                            "move it.")
            else:  # no transition ran for it yet (or none failed): the transition moves it under this name
                message = _("The legacy subscription is now called “%(name)s”.")
            messages.success(request, message % {"name": legacy.friendly_name})
            return redirect(_customer_url(customer))
    # The form beside a failed line shows its errors; where no form is shown (no failed line for it any more, or
    # the name was fixed in another tab), the error is said at the top of the section.
    shown = _rename_form_shown(request, customer, legacy)
    if shown:
        return _customer_page(request, customer, {"rename": {legacy.pk: form}})
    text = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return _customer_page(request, customer, {"error": {"text": text, "code": 800002}})


def _rename_form_shown(request, customer, legacy):
    """A rename form is on the page for every legacy subscription not yet moved (in its row, or beside its failed
    line)."""
    return legacy.status == LegacyStatus.ACTIVE and not legacy.is_transitioned
