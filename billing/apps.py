from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing: price lists, exchange rates (usage, rating and invoicing to come)")

    def ready(self):
        # The Pricing workspace of the navigation.
        from . import registrations

        registrations.register()
