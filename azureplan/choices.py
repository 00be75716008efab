"""Partner Center's catalog vocabulary (product-resources): target views, segments, billing cycles,
purchase prerequisites. The catalog itself (products, SKUs, availabilities) is data: data/catalog.json."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import JOB_TRANSITIONS, JobStatus


class TargetView(models.TextChoices):
    """Every `targetView` Partner Center accepts on GET /v1/products. This portal sells the Azure offers
    only, so the views other than MicrosoftAzure answer an empty collection (not an error)."""

    AZURE = "Azure"
    AZURE_RESERVATIONS = "AzureReservations"
    AZURE_RESERVATIONS_VM = "AzureReservationsVM"
    AZURE_RESERVATIONS_SQL = "AzureReservationsSQL"
    AZURE_RESERVATIONS_COSMOS_DB = "AzureReservationsCosmosDb"
    MICROSOFT_AZURE = "MicrosoftAzure"
    ONLINE_SERVICES = "OnlineServices"
    SOFTWARE = "Software"
    SOFTWARE_SUSE_LINUX = "SoftwareSUSELinux"
    SOFTWARE_PERPETUAL = "SoftwarePerpetual"
    SOFTWARE_SUBSCRIPTIONS = "SoftwareSubscriptions"


class Segment(models.TextChoices):
    COMMERCIAL = "commercial", _("Commercial")
    EDUCATION = "education", _("Education")
    GOVERNMENT = "government", _("Government")
    NONPROFIT = "nonprofit", _("Nonprofit")


# The segments this portal sells in (Partner Center answers 403 400030 for the others).
SOLD_SEGMENTS = frozenset({Segment.COMMERCIAL})


class BillingCycle(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")
    NONE = "none", _("None")
    ONE_TIME = "one_time", _("One-time")
    TRIENNIAL = "triennial", _("Every three years")
    BIENNIAL = "biennial", _("Every two years")


class PurchasePrerequisite(models.TextChoices):
    INVENTORY_CHECK = "InventoryCheck", _("Inventory check")
    AZURE_SUBSCRIPTION_REGISTRATION = "AzureSubscriptionRegistration", _("Azure subscription registration")
    MICROSOFT_CUSTOMER_AGREEMENT = "MicrosoftCustomerAgreement", _("Microsoft Customer Agreement")
    MICROSOFT_CLOUD_AGREEMENT = "MicrosoftCloudAgreement", _("Microsoft Cloud Agreement")


# The two products of this issue (their rows come from data/catalog.json).
AZURE_PLAN_PRODUCT_ID = "DZH318Z0BPS6"
AZURE_PLAN_SKU_ID = "0001"
LEGACY_AZURE_PRODUCT_ID = "9DEA7946-EC2C-441E-9FFD-E3B275F7E838"
LEGACY_AZURE_SKU_ID = "MS-AZR-0145P"


class CartStatus(models.TextChoices):
    ACTIVE = "Active", _("Active")
    ORDERED = "Ordered", _("Ordered")


# A cart is checked out once (its expiry is computed, not a status).
CART_TRANSITIONS = {
    CartStatus.ACTIVE: {CartStatus.ORDERED},
    CartStatus.ORDERED: set(),
}


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


# Provisioning finishes an order once: completed, or failed with its reason (a new order is placed instead).
ORDER_TRANSITIONS = {
    OrderStatus.PENDING: {OrderStatus.COMPLETED, OrderStatus.FAILED},
    OrderStatus.COMPLETED: set(),
    OrderStatus.FAILED: set(),
}


class PlanStatus(models.TextChoices):
    """Partner Center's subscription status for the Azure plan (domain.md §2.7)."""

    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "deleted", _("Cancelled")


PLAN_TRANSITIONS = {
    PlanStatus.PENDING: {PlanStatus.ACTIVE, PlanStatus.CANCELLED},
    PlanStatus.ACTIVE: {PlanStatus.SUSPENDED, PlanStatus.CANCELLED},
    PlanStatus.SUSPENDED: {PlanStatus.ACTIVE, PlanStatus.CANCELLED},
    PlanStatus.CANCELLED: set(),
}


class AzureSubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "inactive", _("Cancelled")
    DELETED = "deleted", _("Deleted")


AZURE_SUBSCRIPTION_TRANSITIONS = {
    AzureSubscriptionStatus.ACTIVE: {AzureSubscriptionStatus.CANCELLED},
    AzureSubscriptionStatus.CANCELLED: {AzureSubscriptionStatus.ACTIVE, AzureSubscriptionStatus.DELETED},
    AzureSubscriptionStatus.DELETED: set(),
}


class CancellationReason(models.TextChoices):
    """Reasons accepted by POST .../azureEntitlements/{id}/cancel (others answer 900307)."""

    COMPROMISE = "compromise", _("Compromised (security incident)")
    ABUSE = "abuse", _("Abuse or fraud")
    CUSTOMER_REQUEST = "customer_request", _("The customer asked for it")
    UNUSED = "unused", _("No longer used")
    OTHER = "other", _("Other")


class PrincipalType(models.TextChoices):
    PARTNER_ADMIN_AGENTS = "partner_admin_agents", _("The partner's Admin agents group (foreign principal, AOBO)")
    INDIRECT_RESELLER = "indirect_reseller", _("The indirect reseller's principal")
    OTHER_PARTNER = "other_partner", _("Another partner")
    CUSTOMER_USER = "customer_user", _("A user of the customer")


class LegacyStatus(models.TextChoices):
    """A legacy MS-AZR-0145P commerce subscription (domain.md §2.9): suspended once moved to the Azure plan."""

    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


# Only the transition suspends a legacy subscription (moved to the Azure plan); nothing reactivates it.
LEGACY_TRANSITIONS = {
    LegacyStatus.ACTIVE: {LegacyStatus.SUSPENDED},
    LegacyStatus.SUSPENDED: set(),
}


class UpgradeStatus(models.TextChoices):
    """A customer's transition (Partner Center's product upgrade). `failed`: finished with at least one failed
    line, which can be retried (the upgrade goes back to in progress)."""

    PENDING = "pending", _("Pending")
    IN_PROGRESS = "inProgress", _("In progress")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


UPGRADE_TRANSITIONS = {
    UpgradeStatus.PENDING: {UpgradeStatus.IN_PROGRESS, UpgradeStatus.CANCELLED},
    UpgradeStatus.IN_PROGRESS: {UpgradeStatus.COMPLETED, UpgradeStatus.FAILED},
    UpgradeStatus.FAILED: {UpgradeStatus.IN_PROGRESS},
    UpgradeStatus.COMPLETED: set(),
    UpgradeStatus.CANCELLED: set(),
}


class UpgradeLineStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


# A line moves once (completed is final); a failed line goes back to pending when it is retried.
UPGRADE_LINE_TRANSITIONS = {
    UpgradeLineStatus.PENDING: {UpgradeLineStatus.COMPLETED, UpgradeLineStatus.FAILED},
    UpgradeLineStatus.FAILED: {UpgradeLineStatus.PENDING},
    UpgradeLineStatus.COMPLETED: set(),
}


# The Job of a transition batch (kind legacy_azure_transition) follows the Job table, with one more move:
# succeeded -> running. A batch succeeds once every customer is done, some perhaps with failed lines; retrying such a
# customer (its upgrade goes failed -> inProgress) reopens the batch, which is running again until that customer is
# done, then succeeds again with its counts recounted (batch_refresh). A stalled customer resumed by
# resume_stalled_upgrades is never done, so its batch has not succeeded yet and stays running.
TRANSITION_BATCH_TRANSITIONS = {**JOB_TRANSITIONS, JobStatus.SUCCEEDED: {JobStatus.RUNNING}}
