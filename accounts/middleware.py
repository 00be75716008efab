from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from .authentication import MFA_SESSION_KEY

OPEN_PREFIXES = ("/static/", "/healthz", "/i18n/", "/v1/", "/v1.0/", "/api/schema/", "/accounts/login",
                 "/accounts/logout", "/accounts/invitation/", "/accounts/mfa/",
                 "/invitations/")  # a customer's reseller relationship invitation: public


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's (which LocaleMiddleware picked)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "language", ""):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class MfaRequiredMiddleware:
    """Every partner user must pass a second factor: a signed-in session without one goes to
    enrolment (no TOTP yet) or verification before any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.session.get(MFA_SESSION_KEY)
                and not request.path.startswith(OPEN_PREFIXES)):
            target = "accounts:mfa_enrol" if not user.mfa_enrolled else "accounts:mfa_verify"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        request.actor = None
        if user is not None and user.is_authenticated and request.session.get(MFA_SESSION_KEY):
            from .actors import actor_for_user

            request.actor = actor_for_user(user, request_id=getattr(request, "request_id", ""))
        return self.get_response(request)
