from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AzurePlanConfig(AppConfig):
    name = "azureplan"
    verbose_name = _("Catalog, orders, Azure plans and Azure subscriptions")
