"""Customer pages: the list, adding a customer, the customer page (company, billing profile,
relationship, the sections later apps register, activity), reseller relationship invitations and the public
page where a customer accepts one. Same services and selectors as the API; every change is a POST. What later
apps show here (the agreements card, the Azure plan sections, their activity lines, the MCA column) comes from
customers.registry."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as account_selectors
from accounts.choices import Tier
from accounts.permissions import Perm, allowed
from accounts.views.portal import forbidden, form_post, portal_page
from core.api.etag import etag_for
from core.audit import actor_display
from core.errors import EtagMismatch, NotFound, PartnerCenterError
from core.forms import apply_error
from core.portal import run_form_action

from . import registry, selectors, services
from .cultures import culture_clean
from .errors import InvitationInvalid
from .forms import (
    AssignResellerForm,
    BillingProfileForm,
    CustomerCreateForm,
    InvitationAcceptForm,
    InvitationCreateForm,
)
from .models import RelationshipRequest

NEW_CREDENTIALS_KEY = "new_customer_credentials"
NEW_INVITATION_KEY = "new_relationship_request"
PAGE_SIZE = 50


# Where a reload of a form's POST-only URL goes back to; a foreign id is still 404 (looked up for the actor).
def _customer_home(request, tenant_id):
    return reverse("customers:customer_detail", args=[selectors.customer_get(actor=request.actor,
                                                                             tenant_id=tenant_id).tenant_id])


def _invitation_home(request, public_id):
    if not RelationshipRequest.objects.for_actor(request.actor).filter(public_id=public_id).exists():
        raise Http404
    return reverse("customers:invitation_list")


# ---------------------------------------------------------------- list and create


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_list(request):
    organisation = account_selectors.organisation_get(actor=request.actor)
    resellers = account_selectors.reseller_list(organisation=organisation)
    q = request.GET.get("q", "").strip()[:100]
    field = request.GET.get("field", "")
    field = field if field in ("company_name", "domain") else ""
    country = request.GET.get("country", "").strip().upper()[:2]
    reseller = request.GET.get("reseller", "").strip()[:20] if resellers else ""
    include_removed = request.GET.get("removed") == "1"
    sort = request.GET.get("sort", "")
    sort = sort if sort.lstrip("-") in selectors.CUSTOMER_SORTS else ""
    customers = selectors.customer_list(actor=request.actor, search=q, search_field=field, country=country,
                                        reseller=reseller, include_removed=include_removed, sort=sort)
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = bool(q or country or reseller or include_removed)
    return render(request, "customers/customer_list.html", {
        "page": page, "q": q, "field": field, "country": country, "reseller": reseller,
        "include_removed": include_removed, "filtered": filtered, "sort": sort or "name",
        "countries": account_selectors.market_countries(organisation=organisation),
        "resellers": resellers, "organisation": organisation,
        "columns": _columns(request.actor, page),
        "can_add": allowed(request.actor, Perm.ADD_CUSTOMER),
        "can_invite": allowed(request.actor, Perm.REQUEST_RESELLER_RELATIONSHIP),
        "tab": "customers",
    })


@require_http_methods(["GET", "POST"])
@portal_page(Perm.ADD_CUSTOMER)
def customer_create(request):
    organisation = account_selectors.organisation_get(actor=request.actor)
    form = CustomerCreateForm(request.POST or None,
                              countries=account_selectors.market_countries(organisation=organisation),
                              resellers=account_selectors.reseller_list(organisation=organisation),
                              initial={"country": organisation.country_id})
    if request.method == "POST" and not form.is_valid():
        # The shape is wrong somewhere: still check the other fields against the rules, so every error shows
        # at once instead of one round trip per bad field.
        data = {name: form.cleaned_data.get(name, form.data.get(name)) for name in form.fields}
        try:
            services.validate_customer_data(data, organisation=organisation)
        except PartnerCenterError as exc:
            apply_error(form, exc)
    elif request.method == "POST":
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
            return redirect("customers:customer_detail", tenant_id=customer.tenant_id)
    return render(request, "customers/customer_create.html", {"form": form, "organisation": organisation,
                                                              "tab": "customers"},
                  status=400 if request.method == "POST" else 200)


# ---------------------------------------------------------------- the customer page


def _columns(actor, page):
    """The registered columns of the list; each customer of the page gets its cells as `c.extra_cells`."""
    columns = registry.columns()
    customers = list(page)
    values = [column.values(actor, customers) for column in columns]
    for customer in customers:
        customer.extra_cells = [{"column": column, "value": found.get(customer.pk)}
                                for column, found in zip(columns, values, strict=True)]
    return columns


def _activity(events, actor, customer):
    rows = []
    for event in events:
        line = registry.describe_activity(event)
        if line is None:
            continue  # another row says it already (the customer's own "accepted the invitation", the order)
        # A reseller sees the provider's events by the provider's name, not by its staff.
        by = (customer.organisation.name if event.organisation_id != actor.organisation_id
              and event.organisation_id == customer.organisation_id else actor_display(event))
        rows.append({"event": event, "label": line.label, "detail": line.detail, "actor": by})
    return rows


def render_customer_page(request, customer, *, overrides=None, status=200):
    """The customer page. Each registered section gets its part of `overrides` (keyed by the section's key): the
    bound forms and refusal of its app's failed POST, which answers with this page."""
    overrides = overrides or {}
    actor = request.actor
    organisation = account_selectors.organisation_get(actor=actor)
    is_owner = customer.organisation_id == actor.organisation_id
    resellers = account_selectors.reseller_list(organisation=organisation) if is_owner else []
    can_remove = is_owner and customer.has_relationship and allowed(actor, Perm.REMOVE_RESELLER_RELATIONSHIP)
    credentials = None
    if request.method == "GET":
        stored = request.session.get(NEW_CREDENTIALS_KEY)
        if stored and stored.get("customer") == str(customer.tenant_id):
            credentials = request.session.pop(NEW_CREDENTIALS_KEY)
    context = {
        "customer": customer, "organisation": organisation, "is_owner": is_owner,
        "can_edit": allowed(actor, Perm.EDIT_CUSTOMER),
        "can_assign": is_owner and bool(resellers) and allowed(actor, Perm.EDIT_CUSTOMER),
        "assign_form": AssignResellerForm(initial={"reseller": customer.reseller.partner_id if customer.reseller else ""},
                                          resellers=resellers),
        "can_remove": can_remove,
        # The button is disabled, with the reason, while something is active (the service refuses it then).
        "remove_blocked": services.relationship_remove_blocker(customer) if can_remove else None,
        "can_invite": allowed(actor, Perm.REQUEST_RESELLER_RELATIONSHIP) and organisation.tier != Tier.INDIRECT_RESELLER,
        "activity": _activity(selectors.customer_activity(actor=actor, customer=customer), actor, customer),
        "credentials": credentials, "tab": "customers",
    }
    sections = []
    for section in registry.sections():
        data = section.context(request, customer, overrides.get(section.key))
        context[section.key] = data  # the section's template reads its data under its key
        if section.visible(request, data):
            sections.append(section)
    context["sections"] = sections
    response = render(request, "customers/customer_detail.html", context, status=status)
    if credentials:
        add_never_cache_headers(response)  # the temporary password must not stay in a cache
    return response


def _render_detail(request, customer, *, attest_form=None, azure=None, status=200):
    """The customer page (render_customer_page) as later apps' views call it: `azure` carries the Azure plan
    section's bound forms and refusals after a failed POST, `attest_form` the agreements card's bound form."""
    return render_customer_page(request, customer, overrides={"azure": azure, "mca": attest_form}, status=status)


@require_GET
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_detail(request, tenant_id):
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    return _render_detail(request, customer)


@require_http_methods(["GET", "POST"])
@portal_page(Perm.VIEW_CUSTOMERS)
def customer_billing(request, tenant_id):
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.EDIT_CUSTOMER):
        return forbidden(request, Perm.EDIT_CUSTOMER)
    form = BillingProfileForm(request.POST or None,
                              countries=account_selectors.market_countries(organisation=customer.organisation),
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
            return redirect("customers:customer_detail", tenant_id=customer.tenant_id)
    return render(request, "customers/customer_billing.html", {"customer": customer, "form": form, "stale": stale,
                                                               "tab": "customers"},
                  status=(409 if stale else 400) if request.method == "POST" else 200)


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_customer_home)
def customer_assign_reseller(request, tenant_id):
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.EDIT_CUSTOMER):
        return forbidden(request, Perm.EDIT_CUSTOMER)
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
    return redirect("customers:customer_detail", tenant_id=customer.tenant_id)


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(_customer_home)
def customer_remove_relationship(request, tenant_id):
    customer = selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.REMOVE_RESELLER_RELATIONSHIP):
        return forbidden(request, Perm.REMOVE_RESELLER_RELATIONSHIP)
    try:
        services.relationship_remove(actor=request.actor, customer=customer)
    except PartnerCenterError as exc:
        messages.error(request, str(exc.description))
    else:
        messages.success(request, _("The reseller relationship with %(customer)s was removed. You can no longer buy "
                                    "for this customer, and your delegated admin privileges are gone.")
                         % {"customer": customer.company_name})
    return redirect("customers:customer_detail", tenant_id=customer.tenant_id)


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
    return InvitationCreateForm(data, resellers=account_selectors.reseller_list(organisation=organisation))


@require_GET
@portal_page(Perm.REQUEST_RESELLER_RELATIONSHIP)
def invitation_list(request):
    return _render_invitations(request, _invitation_form(request))


@portal_page(Perm.REQUEST_RESELLER_RELATIONSHIP)
@form_post(lambda request: reverse("customers:invitation_list"))
def invitation_create(request):
    form = _invitation_form(request, request.POST)
    customer = None
    if request.POST.get("customer"):  # a new invitation for a former customer (restores its relationship)
        try:
            customer = selectors.customer_get(actor=request.actor, tenant_id=request.POST["customer"])
        except NotFound:
            raise Http404 from None

    def create(data):
        row, url = services.relationship_request_create(
            actor=request.actor, include_delegated_admin=data["include_delegated_admin"],
            reseller=data.get("reseller") or None, customer=customer)
        request.session[NEW_INVITATION_KEY] = {"id": str(row.public_id), "url": url}

    return run_form_action(
        request, form, create,
        success=_("The invitation link is ready. Copy it and send it to the customer's global admin."),
        redirect_to="customers:invitation_list", on_error=lambda form: _render_invitations(request, form, status=400))


@portal_page()
@form_post(_invitation_home)
def invitation_revoke(request, public_id):
    # Find it first (a foreign id is 404 whatever the roles), then check the role (403 naming it).
    row = RelationshipRequest.objects.for_actor(request.actor).filter(public_id=public_id).first()
    if row is None:
        raise Http404
    if not allowed(request.actor, Perm.REQUEST_RESELLER_RELATIONSHIP):
        return forbidden(request, Perm.REQUEST_RESELLER_RELATIONSHIP)
    try:
        services.relationship_request_revoke(actor=request.actor, request_row=row)
    except PartnerCenterError as exc:
        messages.error(request, str(exc.description))
    else:
        messages.success(request, _("The invitation was withdrawn: its link no longer works."))
    return redirect("customers:invitation_list")


# ---------------------------------------------------------------- the public invitation page


def _invalid(request, exc):
    return render(request, "customers/invitation_invalid.html", {"message": exc.description}, status=400)


def _invitation_data(data):
    """The invitation form's input with the language of the page and the culture it makes with the country (left to
    the default where the country is not one: the country's own error says why)."""
    language = (get_language() or "en")[:2]
    data["language"] = language
    culture = culture_clean(f"{language}-{str(data.get('country') or '').strip().upper()}")
    if culture:
        data["culture"] = culture
    return data


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """Public: the customer's global admin accepts the reseller relationship (no partner sign-in)."""
    try:
        row = services.relationship_request_from_token(token)
    except InvitationInvalid as exc:
        return _invalid(request, exc)
    partner = row.organisation
    form = InvitationAcceptForm(request.POST or None,
                                countries=account_selectors.market_countries(organisation=partner),
                                initial={"country": partner.country_id}, contact_only=bool(row.customer_id))
    if request.method == "POST" and not form.is_valid():
        # The shape is wrong somewhere: still check the rest against the rules (the state and postal code of the
        # country, the market, the domain's format and whether it is taken: reads only), so one submit shows every
        # error, as Add customer does. A former customer's profiles are not asked for.
        if not row.customer_id:
            data = _invitation_data({name: form.cleaned_data.get(name, form.data.get(name)) for name in form.fields})
            try:
                services.validate_customer_data(data, organisation=partner)
            except PartnerCenterError as exc:
                apply_error(form, exc)
    elif request.method == "POST":
        data = _invitation_data(dict(form.cleaned_data))
        accept_mca = bool(data.pop("accept_mca", False))
        try:
            customer = services.relationship_request_accept(token=token, data=data, accept_mca=accept_mca)
        except InvitationInvalid as exc:
            return _invalid(request, exc)
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            return render(request, "customers/invitation_accepted.html", {
                "partner": partner, "row": row, "customer": customer, "accept_mca": accept_mca})
    return render(request, "customers/invitation.html", {
        "form": form, "partner": partner, "row": row, **registry.invitation_context(row)},
        status=400 if request.method == "POST" else 200)
