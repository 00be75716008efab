"""Page fixes in the browser: validation comes before confirmation (cancelling Azure subscriptions without a
reason asks nothing and shows the error beside the field; a plan with active subscriptions offers no Suspend),
and a failed transition line is retried only once something changed."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from azureplan.models import AzureSubscription
from azureplan.tests.factories import AzurePlanFactory, AzureSubscriptionFactory, buyable_customer
from conftest import enrol

from .flows import field_error, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SHOTS = Path(os.environ.get("PAGE_FIXES_SHOTS", "")) if os.environ.get("PAGE_FIXES_SHOTS") else None


def shot(page, name):
    """Screenshots for a person to look at, only when PAGE_FIXES_SHOTS names a folder (kept out of the repo)."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@DB
def test_cancel_without_a_reason_asks_nothing_and_says_what_is_missing(new_page, make_user, org):
    boss = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="gail@a.example.com")
    customer = buyable_customer(org, company_name="Contoso Ltd", domain="contoso.onmicrosoft.com")
    plan = AzurePlanFactory(customer=customer)
    for name in ("Production", "Development"):
        AzureSubscriptionFactory(plan=plan, friendly_name=name)
    page = new_page()
    sign_in_with_mfa(page, boss.email, PASSWORD, enrol(boss))
    page.goto(f"/customers/{customer.tenant_id}/")
    # A plan with active subscriptions offers no Suspend to confirm: it says what comes first.
    expect(page.get_by_test_id("plan-actions").get_by_role("button", name="Suspend")).to_have_count(0)
    expect(page.get_by_test_id("suspend-blocked")).to_be_visible()
    for name in ("Production", "Development"):
        page.locator(f"tr[data-sub='{name}']").get_by_role("checkbox").check()
    dialogs, accept = [], []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_test_id("bulk-cancel").get_by_role("button", name="Cancel selected").click()
    expect(field_error(page, "cancellation_reason")).to_be_visible()
    shot(page, "cancel-without-reason")
    assert dialogs == []
    assert AzureSubscription.objects.filter(plan=plan, status="active").count() == 2
    # With the reason, the confirmation names how many, and only then they are cancelled.
    for name in ("Production", "Development"):
        page.locator(f"tr[data-sub='{name}']").get_by_role("checkbox").check()
    page.get_by_test_id("bulk-cancel").get_by_label("Reason", exact=True).select_option("unused")
    accept.append(True)
    page.get_by_test_id("bulk-cancel").get_by_role("button", name="Cancel selected").click()
    expect(page.get_by_test_id("plan-message")).to_contain_text("Cancelled")
    assert len(dialogs) == 1 and dialogs[0].startswith("Cancel 2 Azure subscriptions?")
