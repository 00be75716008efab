"""What the later apps register in AppConfig.ready() with the registries of the earlier ones
(docs/architecture.md, "Layers and registries")."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from accounts import navigation
from accounts.choices import Role
from customers import registry


def test_customer_page_sections_in_order():
    assert [(s.key, s.anchor) for s in registry.sections()] == [
        ("mca", "agreements"), ("azure", "azure-plan"), ("spend", "spend"),
        ("invoiced_months", "invoiced-months"), ("legacy", "legacy-azure")]
    assert [c.key for c in registry.columns()] == ["mca"]


def test_every_app_describes_its_activity():
    def line(action, data=None, repr_=""):
        return registry.describe_activity(SimpleNamespace(action=action, data=data or {}, object_repr=repr_))

    assert str(line("customer.created").label) == "Customer added"
    assert str(line("agreement.attested", {"contact": "a@b.example.com"}).detail) == "a@b.example.com"
    assert line("azure_plan.renamed", {"changes": {"friendly_name": ["Old", "New"]}}).detail == "Old → New"
    assert line("azure_subscription.created", repr_="Dev (active)").detail == "Dev"
    for hidden in ("relationship_request.accepted", "cart.created", "cart.updated", "cart.checked_out",
                   "azure_plan.ordered"):
        assert line(hidden) is None
    assert line("nobody.describes_this").label == "nobody.describes_this"
    assert line("customer.spending_budget_set", {"from": None, "to": "1500.00", "currency": "EUR"}).detail == \
        "— → 1500.00 EUR"


def test_navigation_entries_registered_by_the_apps():
    assert [e.key for e in navigation.entries()] == ["customers", "azure_plan", "pricing", "billing"]


@pytest.mark.django_db
@pytest.mark.parametrize("roles,keys", [
    ((Role.GLOBAL_ADMIN,), ["customers", "azure_plan", "pricing", "billing", "settings"]),
    ((Role.BILLING_ADMIN,), None),
    ((Role.HELPDESK_AGENT,), None),
])
def test_navigation_follows_the_roles(portal_client, make_user, actor_of, roles, keys):
    from accounts.permissions import Perm, perms_for

    user = make_user(*roles)
    response = portal_client(user).get(reverse("accounts:settings_account"))
    shown = [item["key"] for item in response.context["workspaces"]]
    if keys is None:  # the roles' permissions decide, the same table as before the registry
        perms = perms_for(actor_of(user))
        expected = [key for key, perm in [("customers", Perm.VIEW_CUSTOMERS), ("azure_plan", Perm.VIEW_AZURE_PLAN),
                                          ("pricing", Perm.VIEW_PRICING), ("billing", Perm.VIEW_SPEND)]
                    if perm in perms]
        keys = [*expected, "settings"]
    assert shown == keys


def test_invitation_hooks_and_counters_are_registered():
    from agreements.views import record_invitation_mca
    from azureplan.legacy.rules import active_legacy_items, active_legacy_of_partner
    from azureplan.ordering.services import LEGACY_AZURE_COUNTERS
    from azureplan.plans.services import active_azure_items

    assert record_invitation_mca in registry._invitation_accepted.values()
    assert registry.ACTIVE_SUBSCRIPTION_COUNTERS.count(active_azure_items) == 1
    assert registry.ACTIVE_SUBSCRIPTION_COUNTERS.count(active_legacy_items) == 1
    assert LEGACY_AZURE_COUNTERS.count(active_legacy_of_partner) == 1
