"""Sign-in with a password and a second factor, MFA enrolment, invitation acceptance, sign-out."""

from urllib.parse import urlencode

from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import PartnerCenterError
from core.forms import apply_error

from .. import mfa, services
from ..authentication import MFA_SESSION_KEY
from ..forms import CodeForm, EnrolForm, SetPasswordForm, SignInForm
from ..models import SignInAttempt

User = get_user_model()
PENDING_KEY = "mfa_pending_user"
ENROL_SECRET_KEY = "mfa_enrol_secret"
RECOVERY_CODES_KEY = "mfa_new_recovery_codes"


def _password_ok(user, password) -> bool:
    """Check the password; for an unknown, inactive or password-less user run the hasher anyway, so the
    answer takes as long and does not tell which e-mail addresses have accounts."""
    if user is None or not user.is_active or not user.has_usable_password():
        User().set_password(password)
        return False
    return user.check_password(password)


def _ip(request):
    from core.throttling import client_ip

    return client_ip(request)


def _next_url(request, default="accounts:dashboard"):
    """Where to go after signing in: a path of this site (`/...`, never `//host`), else the dashboard. Always a
    path, so `redirect()` never reads it as a URL name (`?next=x` used to raise NoReverseMatch: a 500)."""
    target = request.POST.get("next") or request.GET.get("next")
    if (target and target.startswith("/") and not target.startswith("//")
            and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())):
        return target
    from django.urls import reverse

    return reverse(default)


def _next_query(request):
    """`next=...` for a redirect, encoded so a target with its own query string (`?q=a&status=b`)
    arrives whole."""
    return urlencode({"next": _next_url(request)}, safe="/")


def _locked_message(until):
    return _("Too many failed attempts. Sign-in is locked until %(time)s UTC.") % {
        "time": formats.time_format(until, "H:i")}


def _locked_with_code_message(until):
    return _("Too many failed attempts. Sign-in with a password alone is locked until %(time)s UTC. If this is your "
             "account, enter your password and a code from your authenticator app (or a recovery code) to sign in "
             "now.") % {"time": formats.time_format(until, "H:i")}


def _throttled_message(until):
    return _("Too many failed sign-ins from your network. Try again after %(time)s UTC.") % {
        "time": formats.time_format(until, "H:i")}


def _complete_sign_in(request, user, method, next_url):
    """Both factors passed: the session is signed in and marked as having passed MFA."""
    login(request, user)
    request.session[MFA_SESSION_KEY] = True
    if method == "recovery":
        remaining = user.recovery_codes.filter(used_at__isnull=True).count()
        from django.contrib import messages

        messages.warning(request, _("You signed in with a recovery code; %(n)s remain. Generate new "
                                    "ones under Settings > Security.") % {"n": remaining})
    return HttpResponseRedirect(next_url)


def _past_the_lock(request, user, email, password, code):
    """A locked address: the right password and a valid second factor together sign in (the lock may be
    someone else's doing). Returns the method ('totp' or 'recovery'), or None, without telling which failed."""
    if not _password_ok(user, password):
        services.signin_record(email=email, user=user, kind=SignInAttempt.Kind.PASSWORD, succeeded=False,
                               ip_address=_ip(request))
        return None
    if not user.mfa_enrolled:
        return None  # no second factor yet: the lock stands
    try:
        method = mfa.mfa_verify(user=user, code=code)
    except PartnerCenterError:
        services.signin_record(email=email, user=user, kind=SignInAttempt.Kind.SECOND_FACTOR, succeeded=False,
                               ip_address=_ip(request))
        return None
    services.signin_record(email=email, user=user, kind=SignInAttempt.Kind.SECOND_FACTOR, succeeded=True,
                           ip_address=_ip(request))
    return method


@require_http_methods(["GET", "POST"])
def sign_in(request):
    if request.user.is_authenticated and request.session.get(MFA_SESSION_KEY):
        return HttpResponseRedirect(_next_url(request))
    form = SignInForm(request.POST or None)
    ask_code = False
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        password = form.cleaned_data["password"]
        throttled = services.signin_ip_throttled_until(_ip(request))
        closed = services.signin_second_factor_locked_until(email)
        locked = services.signin_locked_until(email)
        user = User.objects.filter(email__iexact=email).select_related("organisation").first()
        if throttled:
            form.add_error(None, _throttled_message(throttled))
        elif closed:
            form.add_error(None, _locked_message(closed))
        elif locked:
            ask_code = True
            code = form.cleaned_data.get("code", "").strip()
            method = _past_the_lock(request, user, email, password, code) if code else None
            if method:
                request.session.cycle_key()
                return _complete_sign_in(request, user, method, _next_url(request))
            locked = (services.signin_second_factor_locked_until(email) or services.signin_locked_until(email)
                      or locked)
            form.add_error(None, _locked_with_code_message(locked))
        elif not _password_ok(user, password):
            services.signin_record(email=email, user=user, kind=SignInAttempt.Kind.PASSWORD, succeeded=False,
                                   ip_address=_ip(request))
            locked = services.signin_locked_until(email)
            ask_code = bool(locked)
            form.add_error(None, _locked_with_code_message(locked) if locked else _("E-mail or password is wrong."))
        else:
            request.session.cycle_key()
            if user.mfa_enrolled:
                request.session[PENDING_KEY] = user.pk
                return redirect(f"{_reverse('accounts:mfa_verify')}?{_next_query(request)}")
            # No second factor yet: signed in, but every page sends them to enrolment first.
            services.signin_record(email=email, user=user, kind=SignInAttempt.Kind.PASSWORD, succeeded=True,
                                   ip_address=_ip(request))
            login(request, user)
            request.session[MFA_SESSION_KEY] = False
            return redirect(f"{_reverse('accounts:mfa_enrol')}?{_next_query(request)}")
    if not ask_code:
        del form.fields["code"]
    return render(request, "accounts/sign_in.html", {"form": form, "next": request.GET.get("next", "")})


def _reverse(name):
    from django.urls import reverse

    return reverse(name)


@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    user_id = request.session.get(PENDING_KEY)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The password was right in this session: a lock others caused by wrong passwords does not refuse
        # the second factor; wrong second factors (or a throttled client address) do.
        throttled = services.signin_ip_throttled_until(_ip(request))
        closed = services.signin_second_factor_locked_until(user.email)
        if throttled:
            form.add_error(None, _throttled_message(throttled))
        elif closed:
            del request.session[PENDING_KEY]
            form.add_error(None, _locked_message(closed))
        else:
            try:
                method = mfa.mfa_verify(user=user, code=form.cleaned_data["code"])
            except PartnerCenterError as exc:
                services.signin_record(email=user.email, user=user, kind=SignInAttempt.Kind.SECOND_FACTOR,
                                       succeeded=False, ip_address=_ip(request))
                closed = services.signin_second_factor_locked_until(user.email)
                if closed:
                    del request.session[PENDING_KEY]
                    form.add_error(None, _locked_message(closed))
                else:
                    apply_error(form, exc)
            else:
                services.signin_record(email=user.email, user=user, kind=SignInAttempt.Kind.SECOND_FACTOR,
                                       succeeded=True, ip_address=_ip(request))
                del request.session[PENDING_KEY]
                return _complete_sign_in(request, user, method, _next_url(request))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": request.GET.get("next", "")})


@require_http_methods(["GET", "POST"])
def mfa_enrol(request):
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    user = request.user
    if request.session.get(MFA_SESSION_KEY) and user.mfa_enrolled:
        return redirect("accounts:settings_security")
    if user.mfa_enrolled and not request.session.get(MFA_SESSION_KEY):
        # Enrolled elsewhere meanwhile: verify instead.
        logout(request)
        return redirect("accounts:login")
    secret = request.session.get(ENROL_SECRET_KEY)
    if not secret:
        secret = mfa.mfa_new_secret()
        request.session[ENROL_SECRET_KEY] = secret
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.mfa_enrol(user=user, secret=secret, code=form.cleaned_data["code"])
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            del request.session[ENROL_SECRET_KEY]
            request.session[MFA_SESSION_KEY] = True
            request.session[RECOVERY_CODES_KEY] = codes
            request.session["after_recovery_codes"] = _next_url(request)
            return redirect("accounts:recovery_codes")
    uri = mfa.mfa_provisioning_uri(user, secret)
    import segno

    qr_svg = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return render(request, "accounts/mfa_enrol.html", {"form": form, "secret": secret, "qr": qr_svg,
                                                        # In groups of four, as authenticator apps accept it.
                                                        "secret_grouped": " ".join(secret[i:i + 4] for i in
                                                                                   range(0, len(secret), 4)),
                                                        "next": request.GET.get("next", "")})


def recovery_codes(request):
    """Shown once, right after enrolment or regeneration."""
    codes = request.session.pop(RECOVERY_CODES_KEY, None)
    if not codes:
        return redirect("accounts:settings_security")
    next_url = request.session.pop("after_recovery_codes", None) or _reverse("accounts:dashboard")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url})


@require_POST
def sign_out(request):
    logout(request)
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def accept_invitation(request, uidb64, token):
    try:
        user = User.objects.select_related("organisation").get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    valid = (user is not None and user.is_active and user.activated_at is None
             and default_token_generator.check_token(user, token))
    if not valid:
        return render(request, "accounts/invitation_invalid.html", status=400)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = services.user_accept_invitation(user=user, password=form.cleaned_data["password"])
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            if request.user.is_authenticated:
                logout(request)
            login(request, user)
            request.session[MFA_SESSION_KEY] = False
            return redirect("accounts:mfa_enrol")
    return render(request, "accounts/invitation.html", {"form": form, "invited": user,
                                                        "now": timezone.now()})
