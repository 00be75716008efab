"""The legacy Azure transition, as a partner admin does it: import a legacy CSV with errors and read the report,
fix it and import again, start a batch for all eligible customers and watch its progress bar reach 100 %, open the
customer whose subscription failed (its name is longer than an Azure subscription's 64 characters), rename it and
retry, and see the transition completed with the reminder to set a new spending budget.

While the batch runs, Celery does not run its tasks eagerly: they go to an in-memory broker, and the test takes
them off it and runs them one at a time, as a worker would, while the open batch page follows them with htmx (no
reload) from 0 % to 50 % to 100 %. The retry later runs eagerly again (the root conftest's default)."""

import re
import uuid
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from azureplan.legacy.transition import upgrade_run
from azureplan.models import AzurePlan, AzureSubscription, LegacySubscription, ProductUpgrade
from azureplan.tests.factories import buyable_customer
from conftest import enrol
from customers.tests.factories import CustomerFactory

from .flows import field_error, screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
HEADER = "customerId,subscriptionId,friendlyName,resellerPartnerId,createdDate,roleAssignments"
LONG_NAME = "Fabrikam data warehouse for the finance department production environment (EU)"


def csv_file(rows):
    return {"name": "legacy-estate.csv", "mimeType": "text/csv",
            "buffer": ("\n".join([HEADER, *rows]) + "\n").encode()}


@contextmanager
def tasks_on_a_broker():
    """Celery sends tasks to an in-memory broker (shared by the threads of this process, so the live server's
    requests publish where the test reads) instead of running them at commit. Restored, queue emptied, after."""
    from partnercenter.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    app._pool = app.amqp._producer_pool = None  # connection pools made for another broker are not reused
    try:
        yield app
    finally:
        try:
            taken_off_the_broker(app)
        finally:
            for pool in (app.amqp._producer_pool, app._pool):
                if pool is not None:
                    pool.force_close_all()
            app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool = saved


def taken_off_the_broker(app):
    """The tasks waiting on the broker's default queue, taken off it as a worker would: [(task name, args)]."""
    tasks = []
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        channel.queue_declare(app.conf.task_default_queue, durable=True, auto_delete=False)
        while (message := channel.basic_get(app.conf.task_default_queue, no_ack=True)) is not None:
            args, _kwargs, _embed = message.decode()
            tasks.append((message.headers["task"], tuple(args)))
    return tasks


def work(app, upgrade_pk):
    """What the worker does with the upgrade's message: run it, then the tasks that run queued (the provisioning of
    the Azure plan it bought, already done inline, so idempotent). Returns the upgrade."""
    upgrade = upgrade_run(upgrade_pk)
    for name, args in taken_off_the_broker(app):
        assert name == "azureplan.tasks.provision_order", name
        app.tasks[name].apply(args=args, throw=True)
    return upgrade


def bar_width_is(page, percent):
    """The bar is drawn that wide (the static script sets the width from data-percent, also after an htmx swap)."""
    page.wait_for_function(
        "(want) => { const el = document.querySelector('[data-testid=batch-bar] .progress-bar');"
        " const ratio = el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width;"
        " return Math.abs(ratio * 100 - want) < 1; }", arg=percent)


def not_400(errors):
    """Console errors but the 400 answers of refused forms (no CSP violation, no broken script)."""
    return [e for e in errors if "status of 400" not in e]


@pytest.mark.browser
@DB
def test_import_then_transition_all_eligible_customers(new_page, make_user, org):
    admin = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ada@a.example.com", first_name="Ada",
                      last_name="Admin")
    contoso = buyable_customer(org, company_name="Contoso Ltd", domain="contoso.onmicrosoft.com")
    fabrikam = buyable_customer(org, company_name="Fabrikam Inc", domain="fabrikam.onmicrosoft.com")
    tailspin = CustomerFactory(organisation=org, company_name="Tailspin Toys", domain="tailspin.onmicrosoft.com")
    assert len(LONG_NAME) > 64
    ids = [uuid.uuid4() for _ in range(5)]
    page = new_page()
    sign_in_with_mfa(page, admin.email, PASSWORD, enrol(admin))

    # The workspace, reached from the Azure plan tabs: nothing yet, a link to the import.
    page.goto("/azure-plan/")
    page.get_by_role("link", name="Legacy Azure transition").click()
    expect(page).to_have_url(re.compile(r"/azure-plan/legacy/$"))
    expect(page.get_by_test_id("no-legacy")).to_contain_text("No customer has legacy Azure subscriptions")
    screenshot(page, "legacy-01-workspace-empty")
    page.get_by_test_id("import-link").click()
    expect(page).to_have_url(re.compile(r"/azure-plan/legacy/import/$"))
    expect(page.get_by_test_id("columns")).to_contain_text("roleAssignments")
    screenshot(page, "legacy-02-import-page")

    # A file with two wrong lines: the message beside the file field, every bad line listed, nothing imported.
    good = [f"{contoso.tenant_id},{ids[0]},Contoso production,,2019-05-10,",
            f"{contoso.tenant_id},{ids[1]},Contoso test,,2020-01-15,",
            f"{fabrikam.tenant_id},{ids[2]},Fabrikam web shop,,2018-03-01,",
            f"{fabrikam.tenant_id},{ids[3]},{LONG_NAME},,2018-03-02,",
            f"{tailspin.tenant_id},{ids[4]},Tailspin games,,2021-06-30,"]
    bad = [*good[:2], f"{uuid.uuid4()},{ids[2]},Fabrikam web shop,,2018-03-01,",
           f"{fabrikam.tenant_id},{ids[3]},{LONG_NAME},,03/02/2018,", good[4]]
    page.get_by_label("CSV file of legacy subscriptions").set_input_files(csv_file(bad))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(field_error(page, "file")).to_contain_text("2 of 5 rows are wrong: nothing was imported.")
    report = page.get_by_test_id("bad-rows")
    expect(report.locator("tbody tr")).to_have_count(2)
    expect(report.locator("tbody tr").nth(0)).to_contain_text("4")
    expect(report.locator("tbody tr").nth(0)).to_contain_text("None of your customers has this id.")
    expect(report.locator("tbody tr").nth(1)).to_contain_text("createdDate")
    screenshot(page, "legacy-03-import-errors")
    assert not LegacySubscription.objects.exists()

    # Fixed: imported; the workspace lists the customers and whether each can transition.
    page.get_by_label("CSV file of legacy subscriptions").set_input_files(csv_file(good))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/azure-plan/legacy/$"))
    expect(page.locator(".alert-success")).to_contain_text("5 legacy subscriptions added, 0 already present")
    rows = page.get_by_test_id("legacy-customers")
    expect(rows.locator("tr[data-customer='Contoso Ltd']")).to_contain_text("Ready to transition")
    expect(rows.locator("tr[data-customer='Tailspin Toys']")).to_contain_text(
        "The Microsoft Customer Agreement is not confirmed.")
    screenshot(page, "legacy-04-workspace-imported")
    assert LegacySubscription.objects.count() == 5

    # Contoso's page says before any cart that its legacy Azure moves by a transition, and the link goes there.
    page.goto(f"/customers/{contoso.tenant_id}/")
    blocked = page.get_by_test_id("buy-blocked")
    expect(blocked.get_by_role("button", name="Buy the Azure plan")).to_be_disabled()
    expect(blocked).to_contain_text("2 active legacy Azure")
    blocked.get_by_test_id("buy-blocked-fix").click()
    expect(page).to_have_url(re.compile(rf"/customers/{contoso.tenant_id}/#legacy-azure$"))
    expect(page.locator("#legacy-azure")).to_be_visible()
    page.goto("/azure-plan/legacy/")

    # The same file again adds nothing and says so.
    page.get_by_test_id("import-link").click()
    page.get_by_label("CSV file of legacy subscriptions").set_input_files(csv_file(good))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".alert-info")).to_contain_text("was already imported on")
    expect(page.locator(".alert-info")).to_contain_text("nothing added")
    assert LegacySubscription.objects.count() == 5

    # One batch for every eligible customer. Its tasks wait on the broker: the page opens at 0 % and polls.
    with tasks_on_a_broker() as app:
        page.get_by_role("button", name=re.compile(r"Transition all eligible customers \(2\)")).click()
        expect(page).to_have_url(re.compile(rf"/azure-plan/legacy/batches/({UUID})/$"))
        batch_id = re.search(rf"/batches/({UUID})/$", page.url).group(1)
        progress = page.get_by_test_id("batch-progress")
        bar = page.get_by_test_id("batch-bar")
        counts = page.get_by_test_id("batch-counts")
        expect(bar).to_have_attribute("aria-valuenow", "0")
        expect(bar.locator(".progress-bar")).to_have_text("0%")
        expect(progress).to_have_attribute("hx-get", re.compile(rf"/azure-plan/legacy/batches/{batch_id}/$"))
        expect(page.get_by_test_id("batch-status")).to_have_text("Running")
        expect(counts).to_contain_text("0 of 2")
        expect(page.get_by_test_id("lines-moved")).to_have_text("0")
        expect(page.get_by_test_id("failures")).to_have_count(0)
        expect(page.get_by_test_id("skipped")).to_contain_text("Tailspin Toys")
        expect(page.get_by_role("button", name="Cancel the batch")).to_be_visible()
        screenshot(page, "legacy-05a-batch-0-percent")
        page.evaluate("window.sameDocument = true")  # gone if the page reloaded or navigated

        upgrades = {u.customer_id: u.pk for u in ProductUpgrade.objects.filter(batch__public_id=batch_id)}
        assert set(upgrades) == {contoso.pk, fabrikam.pk}
        queued = taken_off_the_broker(app)
        assert sorted(queued) == sorted(("azureplan.tasks.run_upgrade", (pk,)) for pk in upgrades.values())
        assert set(ProductUpgrade.objects.filter(batch__public_id=batch_id).values_list("status", flat=True)) == {
            "pending"}

        # The worker runs Contoso (both subscriptions move): the page, left alone, shows half the batch done.
        assert work(app, upgrades[contoso.pk]).status == "completed"
        expect(bar).to_have_attribute("aria-valuenow", "50")
        expect(bar.locator(".progress-bar")).to_have_text("50%")
        expect(counts).to_contain_text("1 of 2")
        expect(page.get_by_test_id("lines-moved")).to_have_text("2")
        expect(page.get_by_test_id("lines-failed")).to_have_text("0")
        expect(page.get_by_test_id("failures")).to_have_count(0)
        expect(page.get_by_test_id("batch-status")).to_have_text("Running")
        expect(progress).to_have_attribute("hx-get", re.compile(batch_id))
        in_batch = page.get_by_test_id("batch-customers")
        expect(in_batch.locator("tr", has_text="Contoso Ltd")).to_contain_text("Completed")
        expect(in_batch.locator("tr", has_text="Fabrikam Inc")).to_contain_text("Pending")
        bar_width_is(page, 50)
        screenshot(page, "legacy-05b-batch-50-percent")

        # Then Fabrikam: one subscription moves, the one with the long name fails. The batch is finished.
        assert work(app, upgrades[fabrikam.pk]).status == "failed"
        expect(bar).to_have_attribute("aria-valuenow", "100")
        expect(bar.locator(".progress-bar")).to_have_text("100%")
        expect(page.get_by_test_id("batch-status")).to_have_text("Finished")
        expect(counts).to_contain_text("2 of 2")
        expect(page.get_by_test_id("lines-moved")).to_have_text("3")
        expect(page.get_by_test_id("lines-failed")).to_have_text("1")
        failures = page.get_by_test_id("failures")
        expect(failures).to_contain_text(LONG_NAME)
        expect(failures).to_contain_text("an Azure subscription name is at most 64")
        expect(progress).not_to_have_attribute("hx-get", re.compile(".*"))
        expect(page.get_by_role("button", name="Cancel the batch")).to_have_count(0)
        expect(page.get_by_test_id("skipped")).to_contain_text("Tailspin Toys")
        expect(in_batch.locator("tr", has_text="Fabrikam Inc")).to_contain_text("Failed")
        # The width is set by the static script (no inline style under the CSP); Bootstrap animates it.
        bar_width_is(page, 100)
        screenshot(page, "legacy-05c-batch-100-percent")
        assert page.evaluate("window.sameDocument === true"), "the batch page reloaded instead of polling"

    # The failed customer, from the failures list: rename the subscription, retry, completed.
    failures.get_by_role("link", name="Fabrikam Inc").click()
    expect(page).to_have_url(re.compile(rf"/customers/{fabrikam.tenant_id}/#legacy-azure$"))
    section = page.get_by_test_id("legacy-azure")
    expect(section.get_by_test_id("upgrade-status")).to_have_text("Failed")
    failed_line = section.locator(f"tr[data-line='{ids[3]}']")
    expect(failed_line.get_by_test_id("line-status")).to_have_text("Failed")
    section.scroll_into_view_if_needed()
    screenshot(page, "legacy-06-customer-failed")
    failed_line.get_by_label("New name").fill("Fabrikam finance warehouse (EU)")
    failed_line.get_by_role("button", name="Rename").click()
    expect(page.locator(".alert-success")).to_contain_text("is now called “Fabrikam finance warehouse (EU)”")
    section = page.get_by_test_id("legacy-azure")
    section.get_by_role("button", name="Retry the failed subscriptions").click()
    section = page.get_by_test_id("legacy-azure")
    expect(section.get_by_test_id("upgrade-status")).to_have_text("Completed")
    expect(section.get_by_test_id("budget-reminder")).to_contain_text(
        "Set a new spending budget for Fabrikam Inc: the budget of its legacy subscriptions is not carried over")
    expect(section.locator(f"tr[data-line='{ids[3]}']").get_by_test_id("line-status")).to_have_text("Completed")
    expect(section.get_by_role("button", name="Retry the failed subscriptions")).to_have_count(0)
    expect(page.get_by_test_id("azure-plan")).to_contain_text("Fabrikam finance warehouse (EU)")
    section.scroll_into_view_if_needed()
    screenshot(page, "legacy-07-customer-completed")
    # The reminder leads to the budget form of the customer's Spend page.
    reminder = section.get_by_test_id("budget-reminder")
    reminder.get_by_role("link", name="Set the budget on the customer's Spend page").click()
    expect(page).to_have_url(re.compile(rf"/spend/{fabrikam.tenant_id}/#budget$"))
    expect(page.get_by_test_id("budget-form")).to_be_visible()

    assert ProductUpgrade.objects.get(customer=fabrikam).status == "completed"
    assert AzurePlan.objects.filter(customer=fabrikam).count() == 1
    assert AzureSubscription.objects.filter(plan__customer=fabrikam).count() == 2
    assert AzureSubscription.objects.filter(subscription_id=ids[3], friendly_name="Fabrikam finance warehouse (EU)")
    assert not LegacySubscription.objects.filter(customer__in=[contoso, fabrikam], status="active").exists()

    # The workspace's batch row now counts the retried subscription as moved, and no failed customer.
    page.goto("/azure-plan/legacy/")
    batch_row = page.get_by_test_id("batches").locator("tbody tr").first
    expect(batch_row).to_contain_text("2 of 2")
    expect(batch_row.locator("td").nth(4)).to_have_text("4")
    expect(batch_row.locator("td").nth(5)).to_have_text("0")
    expect(page.get_by_test_id("legacy-customers").locator("tr[data-customer='Fabrikam Inc']")).to_contain_text(
        "Done: every legacy subscription is on the Azure plan.")
    screenshot(page, "legacy-08-workspace-after")
    assert not_400(page.console_errors) == []
