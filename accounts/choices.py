from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Partner Center roles (domain.md §1.2). A user holds any set of them."""

    GLOBAL_ADMIN = "global_admin", _("Global admin")
    USER_MANAGEMENT_ADMIN = "user_management_admin", _("User management admin")
    ADMIN_AGENT = "admin_agent", _("Admin agent")
    SALES_AGENT = "sales_agent", _("Sales agent")
    BILLING_ADMIN = "billing_admin", _("Billing admin")
    HELPDESK_AGENT = "helpdesk_agent", _("Helpdesk agent")


class Tier(models.TextChoices):
    DIRECT_BILL = "direct_bill", _("Direct-bill partner")
    INDIRECT_PROVIDER = "indirect_provider", _("Indirect provider")
    INDIRECT_RESELLER = "indirect_reseller", _("Indirect reseller")


class CredentialKind(models.TextChoices):
    USER = "user", _("Personal token (App+User)")
    APP = "app", _("Application credential (App only)")


class UserStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")
