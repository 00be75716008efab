"""The Azure plan: a Sales agent buys it for a customer with an attested agreement (cart, place order, the
order page polls the provisioning status until it completes, without a reload); a second plan and a
customer without the agreement are refused on the page with the way to fix it; an Admin agent adds two
Azure subscriptions (and may not suspend the plan while they are active); a user who is both Global admin
and Admin agent cancels one after a confirmation naming how many, and may not remove the reseller relationship
while the plan and the others are active (the disabled button says so)."""

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from azureplan.models import AzurePlan, AzureSubscription, Order
from azureplan.ordering import tasks
from azureplan.tests.factories import buyable_customer
from conftest import enrol
from customers.tests.factories import CustomerFactory

from .flows import screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def not_400(errors):
    """Console errors but the 400 answers of the refused forms (no CSP violation, no broken script)."""
    return [e for e in errors if "status of 400" not in e]


@pytest.mark.browser
@DB
def test_buy_the_azure_plan_add_and_cancel_azure_subscriptions(new_page, make_user, org, monkeypatch):
    sales = make_user(Role.SALES_AGENT, email="sam@a.example.com", first_name="Sam", last_name="Seller")
    contoso = buyable_customer(org, company_name="Contoso Ltd", domain="contoso.onmicrosoft.com")
    fabrikam = CustomerFactory(organisation=org, company_name="Fabrikam Inc", domain="fabrikam.onmicrosoft.com")
    page = new_page()
    sign_in_with_mfa(page, sales.email, PASSWORD, enrol(sales))

    # The customer page: no plan yet, a button to buy it.
    page.goto(f"/customers/{contoso.tenant_id}/")
    section = page.get_by_test_id("azure-plan")
    expect(section).to_contain_text("No Azure plan yet.")
    screenshot(page, "azure-plan-01-none")
    section.get_by_role("link", name="Buy the Azure plan").click()

    # The cart page: the Azure plan of the customer's country, put in a cart.
    expect(page).to_have_url(re.compile(rf"/customers/{contoso.tenant_id}/azure-plan/cart/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Buy the Azure plan")
    expect(page.get_by_test_id("offer")).to_contain_text("DZH318Z0BPS6:0001:DZH318Z0BML6")
    expect(page.get_by_test_id("gate")).to_have_count(0)
    screenshot(page, "azure-plan-02-cart")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(rf"/carts/{UUID}/$"))
    expect(page.get_by_test_id("cart-lines")).to_contain_text("Microsoft Azure plan")
    screenshot(page, "azure-plan-03-cart-detail")
    assert not Order.objects.exists()

    # Place the order. The provisioning task is held back (as if the worker were busy): the order page
    # says it is pending, then follows it without a reload until it completes.
    queued = []
    monkeypatch.setattr(tasks, "provision_order", SimpleNamespace(delay_on_commit=queued.append))
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(rf"/orders/{UUID}/$"))
    expect(page.get_by_test_id("order-status")).to_have_text("Pending")
    expect(page.get_by_test_id("order-progress")).to_contain_text("This page updates by itself.")
    screenshot(page, "azure-plan-04a-order-pending")
    monkeypatch.undo()
    page.evaluate("document.body.dataset.sameDocument = 'yes'")  # gone if the page reloads
    assert len(queued) == 1
    tasks.provision_order(queued[0])  # the worker runs the task
    expect(page.get_by_test_id("order-status")).to_have_text("Completed")
    assert page.evaluate("document.body.dataset.sameDocument") == "yes"
    expect(page.get_by_test_id("order-lines")).to_contain_text("Yes")
    screenshot(page, "azure-plan-04-order-completed")
    page.get_by_role("link", name="Open the Azure plan").click()
    expect(page).to_have_url(re.compile(rf"/customers/{contoso.tenant_id}/#plan-{UUID}$"))
    plan_section = page.get_by_test_id("azure-plan")
    expect(plan_section.get_by_test_id("plan-status")).to_have_text("Active")
    default = page.locator("tr[data-sub='Azure subscription 1']")
    expect(default).to_contain_text("Active")
    expect(default.get_by_test_id("pec")).to_have_text(re.compile("Eligible"))
    expect(default.get_by_test_id("role-summary")).to_have_text("1 role assignment")
    expect(plan_section.get_by_role("link", name="Buy the Azure plan")).to_have_count(0)
    screenshot(page, "azure-plan-05-active")
    plan = AzurePlan.objects.get(customer=contoso)
    assert plan.status == "active" and Order.objects.get().status == "completed"

    # A second Azure plan for the same customer: refused on the cart, with the way to the existing one.
    page.goto(f"/customers/{contoso.tenant_id}/azure-plan/cart/")
    expect(page.get_by_test_id("existing-plans")).to_contain_text("Azure plan")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("button", name="Place order").click()
    refusal = page.get_by_test_id("refusal")
    expect(refusal).to_contain_text("Contoso Ltd already has an Azure plan: one per customer.")
    expect(refusal.get_by_role("link", name="Open the customer's Azure plan")).to_be_visible()
    screenshot(page, "azure-plan-06-second-plan-refused")
    assert AzurePlan.objects.count() == 1 and Order.objects.count() == 1

    # A customer without the Microsoft Customer Agreement: warned on the cart, refused at the order, and the
    # refusal leads to the agreement section.
    # On the customer page the button is disabled and says why, with the way to the fix.
    page.goto(f"/customers/{fabrikam.tenant_id}/")
    blocked = page.get_by_test_id("buy-blocked")
    expect(blocked.get_by_role("button", name="Buy the Azure plan")).to_be_disabled()
    expect(blocked).to_contain_text("Fabrikam Inc has not accepted the Microsoft Customer Agreement")
    expect(blocked.get_by_role("link", name="Attest the Microsoft Customer Agreement")).to_be_visible()
    screenshot(page, "azure-plan-07a-buy-blocked")
    # Going to the cart anyway (a bookmark) still says it before the order is placed.
    page.goto(f"/customers/{fabrikam.tenant_id}/azure-plan/cart/")
    expect(page.get_by_test_id("gate")).to_contain_text("has not accepted the Microsoft Customer Agreement")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("button", name="Place order").click()
    refusal = page.get_by_test_id("refusal")
    expect(refusal).to_contain_text("Fabrikam Inc has not accepted the Microsoft Customer Agreement.")
    screenshot(page, "azure-plan-07-mca-missing-refused")
    refusal.get_by_role("link", name="Attest the Microsoft Customer Agreement").click()
    expect(page).to_have_url(re.compile(rf"/customers/{fabrikam.tenant_id}/#agreements$"))
    expect(page.get_by_test_id("attest-form")).to_be_visible()
    assert not AzurePlan.objects.filter(customer=fabrikam).exists()
    assert not_400(page.console_errors) == []

    # An Admin agent adds two Azure subscriptions.
    agent = make_user(Role.ADMIN_AGENT, email="ada@a.example.com", first_name="Ada", last_name="Agent")
    agent_page = new_page()
    sign_in_with_mfa(agent_page, agent.email, PASSWORD, enrol(agent))
    agent_page.goto(f"/customers/{contoso.tenant_id}/")
    add = agent_page.get_by_test_id("add-subscription")
    add.get_by_role("button", name="Add Azure subscription").click()  # no name: said beside the field
    expect(agent_page.locator("[data-field-error=friendly_name]")).to_be_visible()
    for name in ("Production", "Development"):
        add = agent_page.get_by_test_id("add-subscription")
        add.get_by_label("Name", exact=True).fill(name)
        add.get_by_role("button", name="Add Azure subscription").click()
        expect(agent_page.get_by_test_id("plan-message")).to_contain_text(f"Azure subscription “{name}” was created.")
    expect(agent_page.get_by_test_id("azure-subscriptions").locator("tbody tr")).to_have_count(3)
    expect(agent_page.get_by_role("button", name="Cancel selected")).to_have_count(0)  # needs Global admin too
    screenshot(agent_page, "azure-plan-08-admin-agent-added")
    # Suspending the plan while Azure subscriptions are active cannot happen: not offered (nor confirmed), the
    # plan says what comes first.
    expect(agent_page.get_by_test_id("plan-actions").get_by_role("button", name="Suspend")).to_have_count(0)
    expect(agent_page.get_by_test_id("suspend-blocked")).to_contain_text("cancel its active Azure subscriptions first")
    expect(agent_page.get_by_test_id("plan-status")).to_have_text("Active")
    screenshot(agent_page, "azure-plan-08b-suspend-refused")
    assert not_400(agent_page.console_errors) == []

    # Global admin and Admin agent: cancel "Development" after a confirmation naming how many.
    boss = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="gail@a.example.com", first_name="Gail", last_name="Boss")
    boss_page = new_page()
    sign_in_with_mfa(boss_page, boss.email, PASSWORD, enrol(boss))
    boss_page.goto(f"/customers/{contoso.tenant_id}/")
    development = boss_page.locator("tr[data-sub='Development']")
    development.get_by_role("checkbox").check()
    bulk = boss_page.get_by_test_id("bulk-cancel")
    bulk.get_by_label("Reason", exact=True).select_option("unused")
    screenshot(boss_page, "azure-plan-09-before-cancel")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    boss_page.once("dialog", answer)
    bulk.get_by_role("button", name="Cancel selected").click()
    expect(boss_page.get_by_test_id("plan-message")).to_contain_text("Cancelled: “Development”.")
    development = boss_page.locator("tr[data-sub='Development']")
    expect(development.get_by_test_id("sub-status")).to_have_text("Cancelled")
    expect(development.get_by_test_id("delete-after")).to_contain_text("deleted on")
    expect(development.get_by_role("button", name="Reactivate")).to_be_visible()
    expect(boss_page.locator("tr[data-sub='Production']").get_by_test_id("sub-status")).to_have_text("Active")
    screenshot(boss_page, "azure-plan-10-cancelled")
    assert len(dialogs) == 1 and dialogs[0].startswith("Cancel 1 Azure subscription?") and "90 days" in dialogs[0]
    cancelled = AzureSubscription.objects.get(friendly_name="Development")
    assert cancelled.status == "inactive" and cancelled.cancellation_reason == "unused"
    assert AzureSubscription.objects.filter(plan=plan, status="active").count() == 2
    # Removing the reseller relationship cannot work now: the button is disabled and names what is active, as
    # the page lists it (the plan and its 2 active Azure subscriptions, not "3 subscriptions").
    expect(boss_page.get_by_test_id("remove-relationship")).to_be_disabled()
    expect(boss_page.get_by_test_id("remove-blocked")).to_have_text(
        "Contoso Ltd still has an active Azure plan and 2 active Azure subscriptions: the reseller relationship can "
        "be removed only once none is left.")

    # The Azure subscription's page: its role assignments and partner earned credit.
    boss_page.locator("tr[data-sub='Production']").get_by_role("link", name="Production").click()
    expect(boss_page).to_have_url(re.compile(rf"/customers/azure-subscriptions/{UUID}/$"))
    expect(boss_page.get_by_test_id("role-assignments")).to_contain_text("Foreign Principal for 'Partner A'")
    expect(boss_page.get_by_test_id("pec-card")).to_contain_text("Eligible")
    screenshot(boss_page, "azure-plan-11-subscription")
    assert not_400(boss_page.console_errors) == []
