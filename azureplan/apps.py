from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _register(registry, counter):
    if counter not in registry:
        registry.append(counter)


class AzurePlanConfig(AppConfig):
    name = "azureplan"
    verbose_name = _("Catalog, orders, Azure plans and Azure subscriptions")

    def ready(self):
        from customers.services import ACTIVE_SUBSCRIPTION_COUNTERS

        from .legacy.rules import active_legacy_count, active_legacy_of_partner
        from .ordering.services import LEGACY_AZURE_COUNTERS
        from .plans.services import active_azure_count

        # Removing the reseller relationship counts the customer's active subscriptions, legacy ones too.
        _register(ACTIVE_SUBSCRIPTION_COUNTERS, active_azure_count)
        _register(ACTIVE_SUBSCRIPTION_COUNTERS, active_legacy_count)
        # A plan cannot be bought while active legacy subscriptions remain (900128): they transition instead.
        _register(LEGACY_AZURE_COUNTERS, active_legacy_of_partner)
