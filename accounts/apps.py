from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Partner organisations and users")

    def ready(self):
        from . import navigation, schema  # noqa: F401  (schema registers the OpenAPI authentication extensions)
        from .permissions import Perm

        # Workspaces not built yet: their "workspace" page (accounts.views.portal.WORKSPACES) says what will come.
        # The billing app replaces them with its own entries (same keys).
        navigation.register(navigation.NavEntry(key="pricing", label=_("Pricing"), perm=Perm.VIEW_PRICING, order=300))
        navigation.register(navigation.NavEntry(key="billing", label=_("Billing"), perm=Perm.VIEW_INVOICES, order=400))
