from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing: price lists, exchange rates (usage, rating and invoicing to come)")

    def ready(self):
        # The Pricing and Billing workspaces of the navigation, the Spend section of the customer page.
        from . import registrations

        registrations.register()
