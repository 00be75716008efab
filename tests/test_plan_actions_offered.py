"""Issue 10 item 19 (continued), found by a new-user walkthrough: the customer page offers cancelling an Azure plan
only when it can happen (no active Azure subscription left), says why otherwise, and tells a person who cannot
cancel Azure subscriptions which roles can."""

import pytest
from django.urls import reverse

from accounts.choices import Role
from azureplan.models import AzureSubscription
from azureplan.tests.factories import azure_plan_with_subscriptions

pytestmark = pytest.mark.django_db


def _page(portal_client, user, customer):
    return portal_client(user).get(reverse("customers:customer_detail", args=[customer.tenant_id])).content.decode()


def test_cancel_the_plan_is_offered_only_once_no_azure_subscription_is_active(portal_client, make_user, org):
    plan = azure_plan_with_subscriptions(n=2, organisation=org)
    both = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=org, email="both@a.example.com")
    page = _page(portal_client, both, plan.customer)
    assert 'value="cancel"' not in page  # the plan's cancel form is not offered while subscriptions are active
    assert 'data-testid="suspend-blocked"' in page and "To suspend or cancel this plan" in page
    assert 'data-testid="cancel-subs-needs"' not in page  # this person can cancel the subscriptions

    AzureSubscription.objects.filter(plan=plan).update(status="cancelled")
    page = _page(portal_client, both, plan.customer)
    assert 'value="cancel"' in page and 'data-testid="suspend-blocked"' not in page


def test_a_global_admin_alone_is_told_the_plan_waits_and_who_cancels_subscriptions(portal_client, make_user, org):
    plan = azure_plan_with_subscriptions(n=1, organisation=org)
    ga = make_user(Role.GLOBAL_ADMIN, organisation=org, email="ga@a.example.com")
    page = _page(portal_client, ga, plan.customer)
    assert 'data-testid="cancel-blocked"' in page and 'value="cancel"' not in page
    assert 'data-testid="cancel-subs-needs"' in page and "Global admin" in page and "Admin agent" in page


def test_an_admin_agent_is_told_who_can_cancel_azure_subscriptions(portal_client, make_user, org):
    plan = azure_plan_with_subscriptions(n=1, organisation=org)
    agent = make_user(Role.ADMIN_AGENT, organisation=org, email="aa@a.example.com")
    page = _page(portal_client, agent, plan.customer)
    assert 'data-testid="suspend-blocked"' in page
    assert 'data-testid="cancel-subs-needs"' in page
