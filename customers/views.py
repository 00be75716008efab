"""Customer pages: the list, adding a customer, the customer page (company, billing profile,
relationship, agreements, activity), reseller relationship invitations and the public page where a
customer accepts one. Same services and selectors as the API; every change is a POST."""

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.choices import Tier
from accounts.permissions import Perm, allowed, requirement_text
from accounts.views.portal import portal_page
from agreements import selectors as agreement_selectors
from agreements import services as agreement_services
from agreements.choices import AgreementType
from azureplan.choices import CancellationReason
from core.api.etag import etag_for
from core.errors import EtagMismatch, NotFound, PartnerCenterError
from core.forms import apply_error

from . import selectors, services
from .forms import (
    AssignResellerForm,
    AttestationForm,
    BillingProfileForm,
    CustomerCreateForm,
    InvitationAcceptForm,
    InvitationCreateForm,
    market_countries,
)
from .models import RelationshipRequest

MCA = AgreementType.MICROSOFT_CUSTOMER_AGREEMENT
NEW_CREDENTIALS_KEY = "new_customer_credentials"
NEW_INVITATION_KEY = "new_relationship_request"
PAGE_SIZE = 50

ACTIVITY = {
    "customer.created": gettext_lazy("Customer added"),
    "customer.created_by_invitation": gettext_lazy("Customer accepted the reseller relationship invitation"),
    "customer.relationship_restored": gettext_lazy("Customer accepted the invitation again: relationship restored"),
    "customer.billing_profile_updated": gettext_lazy("Billing profile changed"),
    "customer.reseller_assigned": gettext_lazy("Indirect reseller of record changed"),
    "customer.relationship_removed": gettext_lazy("Reseller relationship removed"),
    "agreement.attested": gettext_lazy("Microsoft Customer Agreement attested by the partner"),
    "agreement.accepted_by_customer": gettext_lazy("Microsoft Customer Agreement accepted by the customer"),
    "order.created": gettext_lazy("Order placed"),
    "order.completed": gettext_lazy("Order completed"),
    "order.failed": gettext_lazy("Order failed"),
    "azure_plan.activated": gettext_lazy("Azure plan active"),
    "azure_plan.renamed": gettext_lazy("Azure plan renamed"),
    "azure_plan.suspended": gettext_lazy("Azure plan suspended"),
    "azure_plan.reactivated": gettext_lazy("Azure plan reactivated"),
    "azure_plan.cancelled": gettext_lazy("Azure plan cancelled"),
    "azure_subscription.created": gettext_lazy("Azure subscription created"),
    "azure_subscription.renamed": gettext_lazy("Azure subscription renamed"),
    "azure_subscription.cancelled": gettext_lazy("Azure subscription cancelled"),
    "azure_subscription.reactivated": gettext_lazy("Azure subscription reactivated"),
    "azure_subscription.deleted": gettext_lazy("Azure subscription deleted (90 days after its cancellation)"),
    "role_assignment.added": gettext_lazy("Azure role assigned"),
    "role_assignment.removed": gettext_lazy("Azure role removed"),
    "legacy_subscription.renamed": gettext_lazy("Legacy Azure subscription renamed"),
    "legacy_subscription.transitioned": gettext_lazy("Legacy Azure subscription moved to the Azure plan (cut-over)"),
    "product_upgrade.created": gettext_lazy("Transition to the Azure plan started"),
    "product_upgrade.retried": gettext_lazy("Transition retried for its failed subscriptions"),
    "product_upgrade.completed": gettext_lazy("Transition to the Azure plan completed"),
    "product_upgrade.failed": gettext_lazy("Transition finished with failed subscriptions"),
}
# Steps that another row of the activity already says (the order placed says the cart was checked out).
ACTIVITY_HIDDEN = {"relationship_request.accepted", "cart.created", "cart.updated", "cart.checked_out",
                   "azure_plan.ordered"}
_STATUS_SUFFIX = re.compile(r" \([^()]*\)$")  # "Dev (active)" -> "Dev": the status of that moment misleads


def _forbidden(request, perm):
    return render(request, "errors/403.html", {"message": requirement_text(perm)}, status=403)


def _resellers(organisation):
    if organisation.tier != Tier.INDIRECT_PROVIDER:
        return []
    return list(organisation.resellers.order_by("name"))


def _mca_template():
    return agreement_selectors.mca_template_current()


# ---------------------------------------------------------------- list and create


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_list(request):
    organisation = account_selectors.organisation_get(actor=request.actor)
    resellers = _resellers(organisation)
    q = request.GET.get("q", "").strip()[:100]
    field = request.GET.get("field", "")
    field = field if field in ("company_name", "domain") else ""
    country = request.GET.get("country", "").strip().upper()[:2]
    reseller = request.GET.get("reseller", "").strip()[:20] if resellers else ""
    include_removed = request.GET.get("removed") == "1"
    customers = selectors.customer_list(actor=request.actor, search=q, search_field=field, country=country,
                                        reseller=reseller, include_removed=include_removed)
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = bool(q or country or reseller or include_removed)
    return render(request, "customers/customer_list.html", {
        "page": page, "q": q, "field": field, "country": country, "reseller": reseller,
        "include_removed": include_removed, "filtered": filtered, "countries": market_countries(organisation),
        "resellers": resellers, "organisation": organisation,
        "mca_ids": agreement_selectors.mca_confirmed_ids(c.pk for c in page),
        "can_add": allowed(request.actor, Perm.ADD_CUSTOMER),
        "can_invite": allowed(request.actor, Perm.REQUEST_RESELLER_RELATIONSHIP),
        "tab": "customers",
    })


@require_http_methods(["GET", "POST"])
@portal_page(Perm.ADD_CUSTOMER)
def customer_create(request):
    organisation = account_selectors.organisation_get(actor=request.actor)
    form = CustomerCreateForm(request.POST or None, countries=market_countries(organisation),
                              resellers=_resellers(organisation), initial={"country": organisation.country_id})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reseller = data.pop("reseller", "") or None
        try:
            customer, credentials = services.customer_create(actor=request.actor, data=data, reseller=reseller)
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            # Shown once on the customer page (post/redirect/get, like a new API token).
            request.session[NEW_CREDENTIALS_KEY] = {"customer": str(customer.tenant_id), **credentials}
            messages.success(request, _("%(customer)s was added.") % {"customer": customer.company_name})
            return redirect("customer_detail", tenant_id=customer.tenant_id)
    return render(request, "customers/customer_create.html", {"form": form, "organisation": organisation,
                                                              "tab": "customers"},
                  status=400 if request.method == "POST" else 200)


# ---------------------------------------------------------------- the customer page


def _activity(events):
    rows = []
    for event in events:
        if event.action in ACTIVITY_HIDDEN:
            continue  # another row says it already (the customer's own "accepted the invitation", the order)
        data = event.data or {}
        detail = ""
        name = _STATUS_SUFFIX.sub("", event.object_repr or "")
        if event.action == "customer.billing_profile_updated":
            detail = ", ".join(sorted(data.get("changes", {})))
        elif event.action == "customer.reseller_assigned":
            detail = f"{data.get('from') or '—'} → {data.get('to') or '—'}"
        elif event.action == "agreement.attested":
            detail = data.get("contact", "")
        elif event.action in ("azure_plan.renamed", "azure_subscription.renamed"):
            old, new = data.get("changes", {}).get("friendly_name") or [data.get("from"), data.get("to")]
            detail = f"{old or '—'} → {new or '—'}"
        elif event.action == "azure_subscription.cancelled":
            reason = CancellationReason(data["reason"]).label if data.get("reason") in CancellationReason.values else ""
            detail = f"{name} · {reason}" if reason else name
        elif event.action in ("role_assignment.added", "role_assignment.removed"):
            detail = _("%(role)s for %(principal)s") % {"role": data.get("role", ""), "principal": data.get("principal", "")}
        elif event.action == "order.failed":
            detail = f"{name} · {data.get('reason', '')}"
        elif event.action.startswith(("order.", "azure_plan.", "azure_subscription.")):
            detail = data.get("name") or name
        elif event.action == "legacy_subscription.renamed":
            detail = f"{data.get('from') or '—'} → {data.get('to') or '—'}"
        elif event.action == "legacy_subscription.transitioned":
            detail = name
        elif event.action in ("product_upgrade.completed", "product_upgrade.failed"):
            detail = _("%(moved)s moved, %(failed)s failed") % {"moved": data.get("completed", 0),
                                                                  "failed": data.get("failed", 0)}
        rows.append({"event": event, "label": ACTIVITY.get(event.action, event.action), "detail": detail})
    return rows


def _attest_blocked_reason(request, customer, organisation):
    """Why the attestation form is not shown, or None when it is."""
    if organisation.tier == Tier.INDIRECT_RESELLER:
        return _("Indirect resellers cannot attest the agreement: your indirect provider %(provider)s does it.") % {
            "provider": organisation.provider.name if organisation.provider else ""}
    if not allowed(request.actor, Perm.ATTEST_MCA):
        return _("Attesting the agreement needs the role Admin agent or Sales agent.")
    if not customer.has_relationship:
        return _("There is no reseller relationship with this customer any more: send a new invitation first.")
    return None


def _render_detail(request, customer, *, attest_form=None, azure=None, status=200):
    """The customer page; `azure` carries the Azure plan section's bound forms and refusals after a failed POST
    (azureplan.plans.views)."""
    from azureplan.legacy.views import legacy_customer_context
    from azureplan.plans.views import customer_azure_context

    actor = request.actor
    organisation = account_selectors.organisation_get(actor=actor)
    is_owner = customer.organisation_id == actor.organisation_id
    agreements = list(agreement_selectors.agreement_list(actor=actor, customer=customer, agreement_type="*"))
    mca = [a for a in agreements if a.agreement_type == MCA]
    blocked = _attest_blocked_reason(request, customer, organisation)
    resellers = _resellers(organisation) if is_owner else []
    credentials = None
    if request.method == "GET":
        stored = request.session.get(NEW_CREDENTIALS_KEY)
        if stored and stored.get("customer") == str(customer.tenant_id):
            credentials = request.session.pop(NEW_CREDENTIALS_KEY)
    context = {
        "customer": customer, "organisation": organisation, "is_owner": is_owner,
        "agreements": agreements, "mca_confirmed": agreement_services.mca_confirmed(customer),
        "mca_latest": mca[0] if mca else None, "mca_template": _mca_template(),
        "attest_blocked": blocked,
        "attest_form": None if blocked else (attest_form or AttestationForm(initial=AttestationForm.initial_for(
            customer))),
        "can_edit": allowed(actor, Perm.EDIT_CUSTOMER),
        "can_assign": is_owner and bool(resellers) and allowed(actor, Perm.EDIT_CUSTOMER),
        "assign_form": AssignResellerForm(initial={"reseller": customer.reseller.partner_id if customer.reseller else ""},
                                          resellers=resellers),
        "can_remove": is_owner and customer.has_relationship and allowed(actor, Perm.REMOVE_RESELLER_RELATIONSHIP),
        "can_invite": allowed(actor, Perm.REQUEST_RESELLER_RELATIONSHIP) and organisation.tier != Tier.INDIRECT_RESELLER,
        "activity": _activity(selectors.customer_activity(actor=actor, customer=customer)),
        "credentials": credentials, "tab": "customers",
        "azure": customer_azure_context(request, customer, azure),
        "legacy": legacy_customer_context(request, customer),
    }
    response = render(request, "customers/customer_detail.html", context, status=status)
    if credentials:
        add_never_cache_headers(response)  # the temporary password must not stay in a cache
    return response


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_detail(request, tenant_id):
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    return _render_detail(request, customer)


@require_POST
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_attest(request, tenant_id):
    # The customer first, so a foreign id answers 404 whatever the roles; then the permission.
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.ATTEST_MCA):
        return _forbidden(request, Perm.ATTEST_MCA)
    form = AttestationForm(request.POST)
    if form.is_valid():
        template = _mca_template()
        try:
            agreement_services.agreement_attest(actor=request.actor, customer=customer, agreement_type=MCA,
                                                template_id=template.template_id if template else "",
                                                **form.cleaned_data)
        except agreement_services.AgreementAlreadyExists as exc:
            form.add_error(None, _("%(error)s This person (same name, e-mail and phone) is already recorded as having "
                                   "accepted, and that attestation stands. To record a new one, enter the details of "
                                   "the person who accepted this time.") % {"error": exc.description})
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The Microsoft Customer Agreement is attested for %(customer)s. The portal "
                                        "e-mails %(email)s about it.") % {"customer": customer.company_name,
                                                                         "email": form.cleaned_data["email"]})
            return redirect(reverse("customer_detail", args=[customer.tenant_id]) + "#agreements")
    return _render_detail(request, customer, attest_form=form, status=400)


@require_http_methods(["GET", "POST"])
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_billing(request, tenant_id):
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.EDIT_CUSTOMER):
        return _forbidden(request, Perm.EDIT_CUSTOMER)
    form = BillingProfileForm(request.POST or None, countries=market_countries(customer.organisation),
                              initial=BillingProfileForm.initial_for(customer, etag_for(customer)))
    stale = False
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        etag = data.pop("etag", "") or None
        try:
            services.customer_update_billing_profile(actor=request.actor, customer=customer, data=data,
                                                     expected_etag=etag)
        except EtagMismatch:
            stale = True
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The billing profile of %(customer)s was saved.")
                             % {"customer": customer.company_name})
            return redirect("customer_detail", tenant_id=customer.tenant_id)
    return render(request, "customers/customer_billing.html", {"customer": customer, "form": form, "stale": stale,
                                                               "tab": "customers"},
                  status=(409 if stale else 400) if request.method == "POST" else 200)


@require_POST
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_assign_reseller(request, tenant_id):
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.EDIT_CUSTOMER):
        return _forbidden(request, Perm.EDIT_CUSTOMER)
    form = AssignResellerForm(request.POST)
    if form.is_valid():
        try:
            customer = services.customer_assign_reseller(actor=request.actor, customer=customer,
                                                         reseller=form.cleaned_data["reseller"] or None)
        except PartnerCenterError as exc:
            messages.error(request, str(exc.description))
        else:
            if customer.reseller:
                messages.success(request, _("%(reseller)s is now the indirect reseller of record of %(customer)s.")
                                 % {"reseller": customer.reseller.name, "customer": customer.company_name})
            else:
                messages.success(request, _("%(customer)s has no indirect reseller of record any more.")
                                 % {"customer": customer.company_name})
    return redirect("customer_detail", tenant_id=customer.tenant_id)


@require_POST
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_remove_relationship(request, tenant_id):
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.REMOVE_RESELLER_RELATIONSHIP):
        return _forbidden(request, Perm.REMOVE_RESELLER_RELATIONSHIP)
    try:
        services.relationship_remove(actor=request.actor, customer=customer)
    except PartnerCenterError as exc:
        messages.error(request, str(exc.description))
    else:
        messages.success(request, _("The reseller relationship with %(customer)s was removed. You can no longer buy "
                                    "for this customer, and your delegated admin privileges are gone.")
                         % {"customer": customer.company_name})
    return redirect("customer_detail", tenant_id=customer.tenant_id)


# ---------------------------------------------------------------- invitations (partner side)


def _render_invitations(request, form, *, status=200):
    organisation = account_selectors.organisation_get(actor=request.actor)
    requests = selectors.relationship_request_list(actor=request.actor)
    new = None
    if request.method == "GET":
        stored = request.session.pop(NEW_INVITATION_KEY, None)
        if stored:
            row = requests.filter(public_id=stored["id"]).first()
            new = {"url": stored["url"], "row": row} if row else None
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/invitation_list.html", {
        "form": form, "page": page, "new": new, "organisation": organisation, "now": timezone.now(),
        "can_create": organisation.tier != Tier.INDIRECT_RESELLER, "tab": "invitations",
    }, status=status)


def _invitation_form(request, data=None):
    organisation = account_selectors.organisation_get(actor=request.actor)
    return InvitationCreateForm(data, resellers=_resellers(organisation))


@require_GET
@portal_page(Perm.REQUEST_RESELLER_RELATIONSHIP)
def invitation_list(request):
    return _render_invitations(request, _invitation_form(request))


@require_POST
@portal_page(Perm.REQUEST_RESELLER_RELATIONSHIP)
def invitation_create(request):
    form = _invitation_form(request, request.POST)
    customer = None
    if request.POST.get("customer"):  # a new invitation for a former customer (restores its relationship)
        try:
            customer = selectors.customer_get(actor=request.actor, tenant_id=request.POST["customer"])
        except NotFound:
            raise Http404 from None
    if form.is_valid():
        try:
            row, url = services.relationship_request_create(
                actor=request.actor, include_delegated_admin=form.cleaned_data["include_delegated_admin"],
                reseller=form.cleaned_data.get("reseller") or None, customer=customer)
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            request.session[NEW_INVITATION_KEY] = {"id": str(row.public_id), "url": url}
            messages.success(request, _("The invitation link is ready. Copy it and send it to the customer's global "
                                        "admin."))
            return redirect("invitation_list")
    return _render_invitations(request, form, status=400)


@require_POST
@portal_page()
def invitation_revoke(request, public_id):
    # Find it first (a foreign id is 404 whatever the roles), then check the role (403 naming it).
    row = RelationshipRequest.objects.for_actor(request.actor).filter(public_id=public_id).first()
    if row is None:
        raise Http404
    if not allowed(request.actor, Perm.REQUEST_RESELLER_RELATIONSHIP):
        return _forbidden(request, Perm.REQUEST_RESELLER_RELATIONSHIP)
    try:
        services.relationship_request_revoke(actor=request.actor, request_row=row)
    except PartnerCenterError as exc:
        messages.error(request, str(exc.description))
    else:
        messages.success(request, _("The invitation was withdrawn: its link no longer works."))
    return redirect("invitation_list")


# ---------------------------------------------------------------- the public invitation page


def _invalid(request, exc):
    return render(request, "customers/invitation_invalid.html", {"message": exc.description}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """Public: the customer's global admin accepts the reseller relationship (no partner sign-in)."""
    try:
        row = services.relationship_request_from_token(token)
    except services.InvitationInvalid as exc:
        return _invalid(request, exc)
    partner = row.organisation
    form = InvitationAcceptForm(request.POST or None, countries=market_countries(partner),
                                initial={"country": partner.country_id}, contact_only=bool(row.customer_id))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        accept_mca = data.pop("accept_mca", False)
        language = (get_language() or "en")[:2]
        data["language"] = language
        if data.get("country"):
            data["culture"] = f"{language}-{data['country'].upper()}"
        try:
            customer = services.relationship_request_accept(token=token, data=data, accept_mca=accept_mca)
        except services.InvitationInvalid as exc:
            return _invalid(request, exc)
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            return render(request, "customers/invitation_accepted.html", {
                "partner": partner, "row": row, "customer": customer, "accept_mca": accept_mca})
    return render(request, "customers/invitation.html", {
        "form": form, "partner": partner, "row": row, "mca_template": _mca_template()},
        status=400 if request.method == "POST" else 200)
