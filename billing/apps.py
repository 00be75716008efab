from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing: pricing, usage, rating and invoicing")

    def ready(self):
        # The Pricing and Billing workspaces of the navigation, the Spend section of the customer page.
        from . import registrations

        registrations.register()
