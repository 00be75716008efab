from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import navigation
from .permissions import Perm, perms_for, requirement_text


def portal(request):
    """Navigation by workspace (accounts.navigation), showing only what the signed-in user's roles may use."""
    actor = getattr(request, "actor", None)
    user = getattr(request, "user", None)
    if actor is None or user is None or not user.is_authenticated:
        return {"perms_": frozenset(), "workspaces": []}
    perms = perms_for(actor)
    items = [{"key": entry.key, "label": entry.label, "url": entry.url()}
             for entry in navigation.entries() if entry.perm in perms]
    items.append({"key": "settings", "label": _("Settings"), "url": reverse("accounts:settings_home")})
    return {"perms_": {p.value: True for p in perms}, "workspaces": items, "needs_": _Needs()}


class _Needs:
    """`{{ needs_.<perm> }}`: the roles a permission needs, in words, for a page that hides what a role may not do
    and says why (the text is built only when a template asks for it)."""

    def __getitem__(self, key):
        try:
            return requirement_text(Perm(key))
        except ValueError:
            raise KeyError(key) from None
