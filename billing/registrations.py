"""What billing adds to the earlier apps (called from BillingConfig.ready()): the Pricing workspace of the navigation,
replacing the placeholder accounts registers under the same key."""

from django.utils.translation import gettext_lazy as _

from accounts import navigation
from accounts.permissions import Perm


def register():
    navigation.register(navigation.NavEntry(key="pricing", label=_("Pricing"), perm=Perm.VIEW_PRICING, order=300,
                                            url_name="billing:pricing"))
