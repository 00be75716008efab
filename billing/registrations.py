"""What billing adds to the earlier apps (called from BillingConfig.ready()): the Pricing and Billing workspaces of the
navigation, replacing the placeholders accounts registers under the same keys."""

from django.utils.translation import gettext_lazy as _

from accounts import navigation
from accounts.permissions import Perm


def register():
    navigation.register(navigation.NavEntry(key="pricing", label=_("Pricing"), perm=Perm.VIEW_PRICING, order=300,
                                            url_name="billing:pricing"))
    # The Billing workspace opens on usage (spend pages join it under the same key).
    navigation.register(navigation.NavEntry(key="billing", label=_("Billing"), perm=Perm.VIEW_USAGE, order=400,
                                            url_name="billing:usage-import"))
