"""API authentication: `Authorization: Bearer <token>`, or the portal session once MFA is passed.

Both put a core.actor.Actor in `request.auth`; `request.user` is the user (None for App only).
"""

from django.utils.translation import gettext as _
from rest_framework import authentication

from core.errors import NotAuthenticated

from .actors import actor_for_credential, actor_for_user
from .services import credential_authenticate

MFA_SESSION_KEY = "mfa_ok"


class AppPrincipal:
    """`request.user` for an application credential: authenticated, but no person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    def __init__(self, credential):
        self.credential = credential

    def __str__(self):
        return f"app:{self.credential.name}"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword:
            raise NotAuthenticated(_("Send the token as 'Authorization: Bearer <token>'."),
                                   parameters={"reason": "malformed"})
        credential = credential_authenticate(parts[1])
        actor = actor_for_credential(credential, request_id=getattr(request._request, "request_id", ""))
        principal = credential.user if credential.user_id else AppPrincipal(credential)
        return principal, actor

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class MfaSessionAuthentication(authentication.SessionAuthentication):
    """The browser session, only after the second factor; CSRF enforced as usual."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _auth = result
        if not request._request.session.get(MFA_SESSION_KEY):
            return None
        return user, actor_for_user(user, request_id=getattr(request._request, "request_id", ""))
