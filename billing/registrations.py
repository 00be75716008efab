"""What billing adds to the earlier apps (called from BillingConfig.ready()): the Pricing workspace of the navigation,
replacing the placeholder accounts registers under the same key; rating as the listener of changed usage; the PEC
calendar section of the Azure subscription page."""

from django.utils.translation import gettext_lazy as _

from accounts import navigation
from accounts.permissions import Perm


def register():
    navigation.register(navigation.NavEntry(key="pricing", label=_("Pricing"), perm=Perm.VIEW_PRICING, order=300,
                                            url_name="billing:pricing"))
    _register_rating()
    _register_pec_calendar()


def _register_rating():
    from .rating.services import rate_usage
    from .usage.hooks import on_usage_changed

    # An import and its rating commit together: rating runs inside the import's transaction (PEC of those months
    # first, then the meters with an unrated row).
    on_usage_changed(rate_usage)


def _register_pec_calendar():
    from azureplan import registry

    from .rating.views import pec_calendar_section

    registry.register_subscription_section(registry.SubscriptionSection(
        key="pec-calendar", template="billing/rating/pec_calendar.html", context=pec_calendar_section, order=100))
