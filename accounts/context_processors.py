from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .permissions import Perm, perms_for


def portal(request):
    """Navigation by workspace, showing only what the signed-in user's roles may use."""
    actor = getattr(request, "actor", None)
    user = getattr(request, "user", None)
    if actor is None or user is None or not user.is_authenticated:
        return {"perms_": frozenset(), "workspaces": []}
    perms = perms_for(actor)
    workspaces = [
        ("customers", _("Customers"), Perm.VIEW_CUSTOMERS),
        ("azure_plan", _("Azure plan"), Perm.VIEW_AZURE_PLAN),
        ("pricing", _("Pricing"), Perm.VIEW_PRICING),
        ("billing", _("Billing"), Perm.VIEW_INVOICES),
    ]
    urls = {"customers": reverse("customer_list"), "azure_plan": reverse("catalog")}
    items = [
        {"key": key, "label": label, "url": urls.get(key) or reverse("workspace", args=[key])}
        for key, label, perm in workspaces if perm in perms
    ]
    items.append({"key": "settings", "label": _("Settings"), "url": reverse("settings_home")})
    return {"perms_": {p.value: True for p in perms}, "workspaces": items}
