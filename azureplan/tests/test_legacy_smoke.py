from accounts.choices import Role
from azureplan import legacy_services as ls
from azureplan.models import AzurePlan, AzureSubscription, LegacySubscription
from azureplan.tests.factories import buyable_customer, legacy_estate


def test_smoke(make_user, actor_of, django_capture_on_commit_callbacks):
    user = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT)
    actor = actor_of(user)
    customer = buyable_customer(user.organisation)
    result = legacy_estate(actor, customer, 3)
    assert result.added == 3
    assert ls.upgrade_eligibility(actor=actor, customer=customer).is_eligible
    with django_capture_on_commit_callbacks(execute=True):
        upgrade = ls.upgrade_start(actor=actor, customer=customer)
    upgrade.refresh_from_db()
    assert upgrade.status == "completed", (upgrade.status, list(upgrade.lines.values("status", "error_message")))
    assert AzurePlan.objects.filter(customer=customer).count() == 1
    assert AzureSubscription.objects.filter(plan__customer=customer).count() == 3
    assert LegacySubscription.objects.filter(customer=customer, status="suspended").count() == 3
