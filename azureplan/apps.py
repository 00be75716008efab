from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AzurePlanConfig(AppConfig):
    name = "azureplan"
    verbose_name = _("Catalog, orders, Azure plans and Azure subscriptions")

    def ready(self):
        # The customer page's sections, activity lines, the Azure plan workspace and the subscription counters.
        from . import registrations

        registrations.register()
