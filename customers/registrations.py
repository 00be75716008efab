"""customers' own entries in the registries: its activity lines and its workspace (called from
CustomersConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from accounts import navigation
from accounts.permissions import Perm
from core import audit

from . import registry

ACTIVITY = {
    "customer.created": _("Customer added"),
    "customer.created_by_invitation": _("Customer accepted the reseller relationship invitation"),
    "customer.relationship_restored": _("Customer accepted the invitation again: relationship restored"),
    "customer.billing_profile_updated": _("Billing profile changed"),
    "customer.reseller_assigned": _("Indirect reseller of record changed"),
    "customer.relationship_removed": _("Reseller relationship removed"),
}


def _customer_detail(event, data):
    if event.action == "customer.billing_profile_updated":
        return ", ".join(sorted(data.get("changes", {})))
    if event.action == "customer.reseller_assigned":
        return registry.change(data)
    return ""


def _customer_ids_named(actor, text):
    """The tenant ids (as the audit log stores them) of the actor's customers whose company name contains `text`."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from .models import Customer

    return (Customer.objects.for_actor(actor).filter(company_name__icontains=text)
            .annotate(id_text=Cast("tenant_id", TextField())).values("id_text"))


def register():
    audit.register_subject_search("customers.Customer", _customer_ids_named)
    registry.register_activity("customer.", registry.labelled(ACTIVITY, detail=_customer_detail))
    # The customer's own "accepted the invitation" line already says it.
    registry.register_activity("relationship_request.", registry.labelled({}, hidden={"relationship_request.accepted"}))
    navigation.register(navigation.NavEntry(key="customers", label=_("Customers"), url_name="customers:customer_list",
                                            perm=Perm.VIEW_CUSTOMERS, order=100))
