"""What the legacy sub-domain's modules share: limits and names, and the counts other rooms ask for (registered
in azureplan.apps: a plan cannot be bought while legacy subscriptions are active (990050), and they count as
active subscriptions when the reseller relationship is removed)."""

from django.utils.translation import ngettext

from customers.registry import ActiveItems

from ..choices import (
    LegacyStatus,
)
from ..models import (
    LegacySubscription,
)

BATCH_KIND = "legacy_azure_transition"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000
# A refused import lists at most this many problems (its `parameters.totalCount` says how many there are).
MAX_REPORTED_PROBLEMS = 1_000
AZURE_SUBSCRIPTION_NAME_MAX = 64
EARLIEST_CREATED_YEAR = 2008
TARGET_PRODUCT_NAME = "Microsoft Azure plan"
SOURCE_PRODUCT_NAME = "AzureSubscription"



def active_legacy_of_partner(customer, organisation) -> int:
    """The partner's active legacy subscriptions of the customer: a plan is refused while any is (990050)."""
    return LegacySubscription.objects.filter(customer=customer, customer__organisation=organisation,
                                             status=LegacyStatus.ACTIVE).count()


def active_legacy_count(customer) -> int:
    """Active legacy subscriptions count as active subscriptions when the reseller relationship is removed."""
    return LegacySubscription.objects.filter(customer=customer, status=LegacyStatus.ACTIVE).count()


def active_legacy_items(customer) -> list[ActiveItems]:
    """The active legacy subscriptions, said as the customer page's legacy section shows them."""
    n = active_legacy_count(customer)
    if not n:
        return []
    return [ActiveItems(n, ngettext("an active legacy Azure subscription", "%(n)s active legacy Azure subscriptions",
                                    n) % {"n": n})]
