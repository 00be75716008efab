from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AzurePlanConfig(AppConfig):
    name = "azureplan"
    verbose_name = _("Catalog, orders, Azure plans and Azure subscriptions")

    def ready(self):
        # Registers the legacy Azure counters with the ordering gate and the relationship removal.
        from . import legacy_services  # noqa: F401
