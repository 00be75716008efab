"""Portal pages: dashboard, workspaces and settings. Same services and selectors as the API."""

import functools
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.audit import for_display
from core.errors import InvalidInput, NotFound, PartnerCenterError, PermissionDenied
from core.forms import apply_error
from core.portal import run_form_action

from .. import mfa, selectors, services
from ..choices import CredentialKind, Role, Tier, UserStatus
from ..forms import AccountForm, AuditFilterForm, ChangePasswordForm, TokenCreateForm, UserEditForm, UserInviteForm
from ..permissions import MATRIX, Perm, allowed, requirement_text
from ..views.auth import RECOVERY_CODES_KEY


def portal_page(perm=None):
    """Signed in with MFA passed (the middleware sees to MFA); `perm` from the matrix, else a page
    that says which role is needed."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated or getattr(request, "actor", None) is None:
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()}, safe='/')}")
            if perm is not None and not allowed(request.actor, perm):
                return forbidden(request, perm)
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except PermissionDenied as exc:  # a selector's role check (the same one the API makes)
                return render(request, "errors/403.html", {"message": exc.description}, status=403)
            except InvalidInput:  # a value in the URL itself that no row can have (a month 13): not found
                raise Http404 from None
        return wrapper

    return decorator


def form_post(home):
    """A form's POST-only URL. When the form has errors its page is rendered at this URL, so a reload or Enter in
    the address bar asks for it with GET: that goes back to the page the form lives on (`home(request, **kwargs)`
    gives its URL) instead of a blank 405. Put it below `portal_page`, so `home` may look rows up for the actor."""

    def decorator(view):
        @functools.wraps(view)
        @require_http_methods(["GET", "HEAD", "POST"])
        def wrapper(request, *args, **kwargs):
            if request.method != "POST":
                return redirect(home(request, **kwargs))
            return view(request, *args, **kwargs)
        return wrapper

    return decorator


def refusal(actor, perm):
    """(reason, what to do) when `actor` may not do `perm`: a partner type that cannot do it at all is told so (no
    role would help); someone who manages users is told to give the role (to themselves), not to ask for it."""
    rule = MATRIX[Perm(perm)]
    tier = getattr(actor, "tier", None)
    if tier and tier not in rule.tiers:
        return (_("Your partner type (%(tier)s) cannot do this, whatever the roles.") % {"tier": Tier(tier).label},
                "")
    roles = set(getattr(actor, "roles", ()) or ())
    if roles & {Role.GLOBAL_ADMIN, Role.USER_MANAGEMENT_ADMIN}:
        return requirement_text(perm), _("You manage users: give yourself the role under Settings, Users.")
    return requirement_text(perm), _("Ask a Global admin or User management admin of your organisation to give you "
                                     "the role.")


def forbidden(request, perm):
    """The 403 page naming the roles `perm` needs (or that the partner type cannot do it) and what to do."""
    message, hint = refusal(request.actor, perm)
    return render(request, "errors/403.html", {"message": message, "hint": hint, "hint_given": True}, status=403)


@require_GET
@portal_page()
def dashboard(request):
    organisation = selectors.organisation_get(actor=request.actor)
    context = {"organisation": organisation, "resellers": organisation.resellers.all()}
    if allowed(request.actor, Perm.VIEW_USERS):
        users = selectors.user_list(actor=request.actor)
        context["user_counts"] = {
            "active": users.filter(is_active=True, activated_at__isnull=False).count(),
            "invited": users.filter(is_active=True, activated_at__isnull=True).count(),
        }
    if allowed(request.actor, Perm.VIEW_AUDIT_LOG):
        context["recent_events"] = for_display(selectors.audit_list(actor=request.actor)[:8])
    return render(request, "accounts/dashboard.html", context)


WORKSPACES = {
    "pricing": (gettext_lazy("Pricing"), Perm.VIEW_PRICING,
                gettext_lazy("Azure plan price lists and monthly exchange rates will be shown here.")),
    "billing": (gettext_lazy("Billing"), Perm.VIEW_INVOICES,
                gettext_lazy("Invoices, reconciliation files and partner earned credit will be shown here.")),
}


@require_GET
def workspace(request, key):
    if key not in WORKSPACES:
        raise Http404
    title, perm, description = WORKSPACES[key]

    @portal_page(perm)
    def view(request):
        return render(request, "accounts/workspace.html", {"title": title, "description": description,
                                                           "key": key})

    return view(request)


@require_GET
@portal_page()
def settings_home(request):
    return redirect("accounts:settings_account")


@require_http_methods(["GET", "POST"])
@portal_page()
def settings_account(request):
    user = request.user
    form = AccountForm(request.POST or None, initial={"first_name": user.first_name, "last_name": user.last_name,
                                                      "language": user.language})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.actor, user=user, first_name=form.cleaned_data["first_name"],
                                 last_name=form.cleaned_data["last_name"], language=form.cleaned_data["language"])
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            # In the language just chosen: the next page is shown in it.
            with translation.override(form.cleaned_data["language"] or translation.get_language_from_request(request)):
                messages.success(request, _("Your account was saved."))
            return redirect("accounts:settings_account")
    organisation = selectors.organisation_get(actor=request.actor)
    return render(request, "accounts/settings_account.html", {"form": form, "organisation": organisation,
                                                              "section": "account"})


@require_http_methods(["POST"])
@portal_page()
def set_language(request):
    """The language menu of the navigation bar: saved on the user (it wins over the browser's), back to the page."""
    from django.conf import settings

    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        services.user_update(actor=request.actor, user=request.user, language=language)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("accounts:dashboard")
    return redirect(target)


@require_http_methods(["GET", "POST"])
@portal_page()
def settings_security(request):
    user = request.user
    form = ChangePasswordForm(request.POST or None)

    def page(form):
        remaining = user.recovery_codes.filter(used_at__isnull=True).count()
        return render(request, "accounts/settings_security.html", {"form": form, "remaining_codes": remaining,
                                                                   "section": "security"})

    def change(data):
        from django.contrib.auth import update_session_auth_hash

        services.user_change_password(user=user, current_password=data["current_password"],
                                      new_password=data["password"])
        update_session_auth_hash(request, user)

    if request.method != "POST":
        return page(form)
    return run_form_action(request, form, change, success=_("Your password was changed."),
                           redirect_to="accounts:settings_security", on_error=page)


@portal_page()
@form_post(lambda request: reverse("accounts:recovery_codes"))
def regenerate_recovery_codes(request):
    codes = mfa.mfa_regenerate_recovery_codes(user=request.user)
    request.session[RECOVERY_CODES_KEY] = codes
    request.session["after_recovery_codes"] = reverse("accounts:settings_security")
    return redirect("accounts:recovery_codes")


NEW_TOKEN_KEY = "new_api_token"


@require_http_methods(["GET", "POST"])
@portal_page()
def settings_tokens(request):
    can_app = allowed(request.actor, Perm.MANAGE_APP_CREDENTIALS)
    form = TokenCreateForm(request.POST or None)
    if not can_app:
        form.fields["kind"].choices = [(CredentialKind.USER.value, CredentialKind.USER.label)]
        del form.fields["roles"]
    if request.method == "POST" and form.is_valid():
        try:
            credential, new_token = services.credential_create(
                actor=request.actor, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"],
                days=form.cleaned_data["days"], roles=form.cleaned_data.get("roles"),
            )
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            # Post/redirect/get, so reloading the page does not create another token. The raw token
            # is kept in the session only until the next page shows it (like the recovery codes).
            request.session[NEW_TOKEN_KEY] = new_token
            messages.success(request, _("Token “%(name)s” created. Copy it now: it is not shown again.")
                             % {"name": credential.name})
            return redirect("accounts:settings_tokens")
    new_token = request.session.pop(NEW_TOKEN_KEY, None) if request.method == "GET" else None
    credentials = selectors.credential_list(actor=request.actor)
    return render(request, "accounts/settings_tokens.html", {
        "form": form, "credentials": credentials, "new_token": new_token, "can_app": can_app, "section": "tokens",
        "roles": Role.choices,
    }, status=400 if request.method == "POST" and form.errors else 200)


@portal_page()
@form_post(lambda request, public_id: selectors.credential_get(actor=request.actor, public_id=public_id)
           and reverse("accounts:settings_tokens"))
def revoke_token(request, public_id):
    try:
        credential = selectors.credential_get(actor=request.actor, public_id=public_id)
    except NotFound:
        raise Http404 from None
    services.credential_revoke(actor=request.actor, credential=credential)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": credential.name})
    return redirect("accounts:settings_tokens")


@require_GET
@portal_page(Perm.VIEW_USERS)
def settings_users(request):
    search = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    status = request.GET.get("status", "")
    role = role if role in Role.values else ""
    status = status if status in UserStatus.values else ""
    users = selectors.user_list(actor=request.actor, search=search, role=role, status=status)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/settings_users.html", {
        "page": page, "q": search, "role": role, "status": status, "roles": Role.choices,
        "statuses": UserStatus.choices, "can_manage": allowed(request.actor, Perm.MANAGE_USERS), "section": "users",
    })


@require_http_methods(["GET", "POST"])
@portal_page(Perm.MANAGE_USERS)
def user_invite(request):
    form = UserInviteForm(request.POST or None)
    can_grant_admin = allowed(request.actor, Perm.MANAGE_GLOBAL_ADMINS)
    if not can_grant_admin:
        form.fields["roles"].choices = [c for c in form.fields["roles"].choices if c[0] != Role.GLOBAL_ADMIN]
    if request.method != "POST":
        return render(request, "accounts/user_invite.html", {"form": form, "section": "users"})
    return run_form_action(
        request, form, lambda data: services.user_invite(actor=request.actor, **data),
        success=lambda user: _("%(email)s was invited. They will receive an e-mail with a sign-up link.")
        % {"email": user.email},
        redirect_to=lambda user: reverse("accounts:user_detail", args=[user.public_id]),
        on_error=lambda form: render(request, "accounts/user_invite.html", {"form": form, "section": "users"},
                                     status=400))


@require_http_methods(["GET", "POST"])
@portal_page(Perm.VIEW_USERS)
def user_detail(request, public_id):
    from core.api.etag import etag_for

    target = selectors.user_get(actor=request.actor, public_id=public_id)
    can_manage = allowed(request.actor, Perm.MANAGE_USERS) and (
        Role.GLOBAL_ADMIN not in target.roles or allowed(request.actor, Perm.MANAGE_GLOBAL_ADMINS))
    form = UserEditForm(request.POST or None, initial={
        "first_name": target.first_name, "last_name": target.last_name, "roles": target.roles,
        "etag": etag_for(target)})
    if not allowed(request.actor, Perm.MANAGE_GLOBAL_ADMINS):
        form.fields["roles"].choices = [c for c in form.fields["roles"].choices if c[0] != Role.GLOBAL_ADMIN]
    if request.method == "POST":
        if not can_manage:
            return forbidden(request, Perm.MANAGE_GLOBAL_ADMINS)
        if form.is_valid():
            try:
                services.user_update(actor=request.actor, user=target, expected_etag=form.cleaned_data["etag"] or None,
                                     first_name=form.cleaned_data["first_name"],
                                     last_name=form.cleaned_data["last_name"], roles=form.cleaned_data["roles"])
            except PartnerCenterError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("%(email)s was saved.") % {"email": target.email})
                return redirect("accounts:user_detail", public_id=target.public_id)
    events = []
    if allowed(request.actor, Perm.VIEW_AUDIT_LOG):
        events = selectors.audit_list(actor=request.actor, subject_id=str(target.public_id))[:20]
    # Deactivating the last active Global admin is refused: say so instead of offering (and confirming) it.
    last_global_admin = (can_manage and Role.GLOBAL_ADMIN in target.roles and target.is_active and not selectors.user_list(
        actor=request.actor).filter(is_active=True, roles__contains=[Role.GLOBAL_ADMIN]).exclude(pk=target.pk).exists())
    return render(request, "accounts/user_detail.html", {
        "target": target, "form": form, "can_manage": can_manage, "events": events, "section": "users",
        "last_global_admin": last_global_admin,
    }, status=400 if request.method == "POST" else 200)


@portal_page(Perm.MANAGE_USERS)
@form_post(lambda request, public_id: reverse("accounts:user_detail", args=[selectors.user_get(
    actor=request.actor, public_id=public_id).public_id]))
def user_set_active(request, public_id):
    target = selectors.user_get(actor=request.actor, public_id=public_id)
    active = request.POST.get("active") == "1"
    try:
        services.user_update(actor=request.actor, user=target, is_active=active)
    except PartnerCenterError as exc:
        messages.error(request, str(exc.description))
    else:
        messages.success(request, (_("%(email)s was reactivated.") if active else _("%(email)s was deactivated."))
                         % {"email": target.email})
    return redirect("accounts:user_detail", public_id=target.public_id)


@portal_page(Perm.MANAGE_USERS)
@form_post(lambda request, public_id: reverse("accounts:user_detail", args=[selectors.user_get(
    actor=request.actor, public_id=public_id).public_id]))
def user_reset_mfa(request, public_id):
    target = selectors.user_get(actor=request.actor, public_id=public_id)
    try:
        mfa.mfa_reset(actor=request.actor, user=target)
    except PartnerCenterError as exc:
        messages.error(request, str(exc.description))
    else:
        messages.success(request, _("%(email)s will enrol a new second factor at next sign-in.")
                         % {"email": target.email})
    return redirect("accounts:user_detail", public_id=target.public_id)


@portal_page(Perm.MANAGE_USERS)
@form_post(lambda request, public_id: reverse("accounts:user_detail", args=[selectors.user_get(
    actor=request.actor, public_id=public_id).public_id]))
def user_resend_invitation(request, public_id):
    target = selectors.user_get(actor=request.actor, public_id=public_id)
    if target.status == UserStatus.INVITED:
        from ..tasks import send_invitation_email

        send_invitation_email.delay_on_commit(target.pk)
        messages.success(request, _("The invitation was sent again to %(email)s.") % {"email": target.email})
    return redirect("accounts:user_detail", public_id=target.public_id)


@require_GET
@portal_page()
def settings_organisation(request):
    organisation = selectors.organisation_get(actor=request.actor)
    return render(request, "accounts/settings_organisation.html", {
        "organisation": organisation, "resellers": organisation.resellers.select_related("country"),
        "section": "organisation"})


@require_GET
@portal_page(Perm.VIEW_AUDIT_LOG)
def settings_audit(request):
    form = AuditFilterForm(request.GET, page=True)
    if not form.is_valid():
        return render(request, "accounts/settings_audit.html", {"form": form, "page": None, "section": "audit"},
                      status=400)
    events = selectors.audit_list(actor=request.actor, **form.filters())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    page.object_list = for_display(page.object_list)  # in the reader's language, not the codes and English recorded
    return render(request, "accounts/settings_audit.html", {"form": form, "page": page, "filtered": form.is_filtered(),
                                                            "section": "audit"})


@require_GET
@portal_page()
def job_detail(request, public_id):
    job = selectors.job_get(actor=request.actor, public_id=public_id)
    template = "accounts/job_progress.html" if request.htmx else "accounts/job_detail.html"
    return render(request, template, {"job": job})
