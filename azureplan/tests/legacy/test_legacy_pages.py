"""The legacy Azure pages (Django client): the workspace (customers, eligibility, batches) by role, the CSV import with
its report of bad rows, a batch's progress, failures and cancel, and the customer page's Legacy Azure section (start,
lines, rename of a too-long name, retry, budget reminder). Every refusal is on the page, never a 500; a foreign id
is 404; the workspace's query count does not grow with its rows."""

import re
import uuid
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role, Tier
from azureplan.legacy import importer as legacy_importer
from azureplan.legacy import rules as legacy_rules
from azureplan.legacy import services as legacy_services
from azureplan.legacy import transition as legacy_transition
from azureplan.models import AzurePlan, AzureSubscription, LegacyImport, LegacySubscription, ProductUpgrade
from core.models import Job
from customers.tests.factories import CustomerFactory

from ..factories import buyable_customer, legacy_csv, legacy_estate

pytestmark = pytest.mark.django_db

LONG_NAME = "A legacy subscription whose friendly name is far too long for an Azure subscription"
assert len(LONG_NAME) > 64


def html(response):
    return response.content.decode()


def text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response))))


@pytest.fixture
def ga_aa(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga-aa@a.example.com")


@pytest.fixture
def sales(make_user):
    return make_user(Role.SALES_AGENT, email="sales@a.example.com")


@pytest.fixture
def billing(make_user):
    return make_user(Role.BILLING_ADMIN, email="billing@a.example.com")


@pytest.fixture
def contoso(org):
    return buyable_customer(org, company_name="Contoso Ltd")


@pytest.fixture
def estate(ga_aa, actor_of, contoso):
    legacy_estate(actor_of(ga_aa), contoso, 2, names=["Contoso production", "Contoso test"])
    return contoso


def workspace(client):
    return client.get(reverse("azureplan:legacy_workspace"))


def customer_page(client, customer):
    return client.get(reverse("customers:customer_detail", args=[customer.tenant_id]))


def upload(client, content, name="estate.csv"):
    return client.post(reverse("azureplan:legacy_import"), {"file": SimpleUploadedFile(name, content, "text/csv")})


# ---------------------------------------------------------------- the workspace


def test_workspace_lists_customers_with_their_eligibility(portal_client, ga_aa, estate, org):
    no_mca = CustomerFactory(organisation=org, company_name="Fabrikam Inc")
    legacy_estate(ls_actor(ga_aa), no_mca, 1)
    response = workspace(portal_client(ga_aa))
    assert response.status_code == 200
    page = text(response)
    assert "Legacy Azure transition" in page and "Customers with legacy Azure subscriptions" in page
    assert "Contoso Ltd" in page and "Ready to transition" in page
    assert "Fabrikam Inc" in page and "The Microsoft Customer Agreement is not confirmed." in page
    assert f'value="{estate.tenant_id}"' in html(response)
    assert f'value="{no_mca.tenant_id}"' not in html(response)  # not eligible: no checkbox
    assert "Transition the chosen customers" in page and "Transition all eligible customers (1)" in page
    assert "Import legacy subscriptions (CSV)" in page


def ls_actor(user):
    from accounts.actors import actor_for_user

    return actor_for_user(user, request_id="test")


def test_workspace_for_a_billing_admin_starts_but_does_not_import(portal_client, billing, estate):
    page = text(workspace(portal_client(billing)))
    assert "Transition all eligible customers" in page
    assert "Import legacy subscriptions" not in page
    assert portal_client(billing).get(reverse("azureplan:legacy_import")).status_code == 403
    # A Billing admin has no Azure plan workspace: the page sits under Customers, where its tab is.
    assert "Catalog" not in page and "Customers" in page
    tabs = html(portal_client(billing).get(reverse("customers:customer_list")))
    assert f'href="{reverse("azureplan:legacy_workspace")}"' in tabs


def test_workspace_of_an_indirect_reseller_shows_no_start_buttons(portal_client, make_org, make_user, actor_of):
    provider = make_org(name="Provider", tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(name="Reseller R", tier=Tier.INDIRECT_RESELLER, provider=provider)
    provider_admin = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=provider, email="p@p.example.com")
    customer = buyable_customer(provider, company_name="Northwind", reseller=reseller)
    legacy_estate(actor_of(provider_admin), customer, 1, reseller=reseller.partner_id)
    reseller_user = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=reseller, email="r@r.example.com")
    response = workspace(portal_client(reseller_user))
    page = text(response)
    assert response.status_code == 200 and "Northwind" in page
    assert "an indirect reseller can't transition them" in page
    assert "Transition all eligible customers" not in page and 'name="customers"' not in html(response)
    assert "Import legacy subscriptions" not in page
    # The customer page shows its legacy subscription, and why there is no button.
    section = text(customer_page(portal_client(reseller_user), customer))
    assert "Legacy Azure (MS-AZR-0145P)" in section and "Legacy 1" in section
    assert "Transition billing to Azure plan Transition" not in section
    assert "your indirect provider starts the transition" in section
    # A POST is refused (403), nothing started.
    response = portal_client(reseller_user).post(reverse("azureplan:legacy_batch_start"), {"scope": "all"})
    assert response.status_code == 403 and not ProductUpgrade.objects.exists()


def test_workspace_queries_do_not_grow_with_rows(portal_client, ga_aa, org, actor_of, django_assert_max_num_queries,
                                                 django_capture_on_commit_callbacks):
    client = portal_client(ga_aa)
    actor = actor_of(ga_aa)
    first = buyable_customer(org, company_name="C0")
    legacy_estate(actor, first, 1)
    with django_capture_on_commit_callbacks(execute=True):
        legacy_services.batch_start(actor=actor, customers=[first])
    workspace(client)
    with CaptureQueriesContext(connection) as small:
        assert workspace(client).status_code == 200
    for i in range(1, 8):
        customer = buyable_customer(org, company_name=f"C{i}")
        legacy_estate(actor, customer, 2, names=[f"S{i}a", f"S{i}b"])
    with django_capture_on_commit_callbacks(execute=True):
        legacy_services.batch_start(actor=actor, all_eligible=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = workspace(client)
    assert text(response).count("Completed") >= 8
    assert text(response).count("Done: every legacy subscription is on the Azure plan.") == 8


# ---------------------------------------------------------------- the import


def test_import_page_shows_the_columns_and_a_template(portal_client, ga_aa):
    client = portal_client(ga_aa)
    page = text(client.get(reverse("azureplan:legacy_import")))
    assert "customerId,subscriptionId,friendlyName,resellerPartnerId,createdDate,roleAssignments" in page
    assert "Empty: your Admin agents as Owner." in page and "Download a CSV template" in page
    template = client.get(reverse("azureplan:legacy_import_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("text/csv")
    assert template.content.decode().startswith(legacy_importer.TEMPLATE_HEADER)


def test_the_downloaded_template_imports_once_its_customer_id_is_yours(portal_client, ga_aa, contoso):
    client = portal_client(ga_aa)
    content = client.get(reverse("azureplan:legacy_import_template")).content.decode()
    content = content.replace("4c721420-72ad-4708-a0a7-371a2f7b0969", str(contoso.tenant_id))
    response = upload(client, content.encode(), "legacy-azure-template.csv")
    assert response.status_code == 302, text(response)[:1500]
    subs = {s.friendly_name: s for s in LegacySubscription.objects.filter(customer=contoso)}
    assert set(subs) == {"Contoso production", "Contoso test"}
    assert [(a["principal_type"], a["role"]) for a in subs["Contoso test"].role_assignments] == [
        ("customer_user", "Reader"), ("partner_admin_agents", "Owner")]


def test_import_with_bad_rows_reports_each_and_imports_nothing(portal_client, ga_aa, contoso):
    content = legacy_csv([(contoso, uuid.uuid4(), "Fine"), ("not-a-guid", uuid.uuid4(), "Bad customer"),
                          (contoso, uuid.uuid4(), "Bad date", "", "yesterday")])
    response = upload(portal_client(ga_aa), content)
    assert response.status_code == 400
    page = text(response)
    assert "2 of 3 rows are wrong: nothing was imported." in page
    assert 'data-field-error="file"' in html(response)
    rows = re.findall(r"<tr><td>(\d+)</td><td><code>(\w+)</code></td>", html(response))
    assert rows == [("3", "customerId"), ("4", "createdDate")]
    assert "Not a date" in page
    assert not LegacySubscription.objects.exists() and not LegacyImport.objects.exists()


def test_import_success_then_the_same_file_again(portal_client, ga_aa, contoso):
    client = portal_client(ga_aa)
    content = legacy_csv([(contoso, uuid.uuid4(), "One"), (contoso, uuid.uuid4(), "Two")])
    response = upload(client, content)
    assert response.status_code == 302 and response["Location"] == reverse("azureplan:legacy_workspace")
    page = text(client.get(response["Location"]))
    assert "“estate.csv” is imported: 2 legacy subscriptions added, 0 already present." in page
    assert "Contoso Ltd" in page
    response = upload(client, content)
    page = text(client.get(response["Location"]))
    assert "“estate.csv” was already imported on" in page and "nothing added" in page
    assert LegacySubscription.objects.count() == 2


def test_import_without_a_file_or_with_binary(portal_client, ga_aa):
    client = portal_client(ga_aa)
    response = client.post(reverse("azureplan:legacy_import"), {})
    assert response.status_code == 400 and 'data-field-error="file"' in html(response)
    response = upload(client, b"\xff\xfe\x00garbage")
    assert response.status_code == 400 and "not UTF-8 text" in text(response)


def test_import_hidden_from_sales_agents(portal_client, sales):
    client = portal_client(sales)
    assert client.get(reverse("azureplan:legacy_import")).status_code == 403
    assert "Import legacy subscriptions" not in text(workspace(client))


# ---------------------------------------------------------------- batches


def test_batch_for_all_eligible_with_a_failure_and_a_skip(portal_client, ga_aa, estate, org, actor_of,
                                                         django_capture_on_commit_callbacks):
    fabrikam = buyable_customer(org, company_name="Fabrikam Inc")
    legacy_estate(actor_of(ga_aa), fabrikam, 1, names=[LONG_NAME])
    no_mca = CustomerFactory(organisation=org, company_name="Tailspin")
    legacy_estate(actor_of(ga_aa), no_mca, 1, names=["Tailspin one"])
    client = portal_client(ga_aa)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("azureplan:legacy_batch_start"), {"scope": "all"})
    job = Job.objects.get(kind=legacy_rules.BATCH_KIND)
    assert response.status_code == 302 and response["Location"] == reverse("azureplan:legacy_batch_detail",
                                                                            args=[job.public_id])
    response = client.get(response["Location"])
    page = text(response)
    assert "The transition of 2 customers started. 1 customer was skipped" in page
    assert "100%" in page and "2 of 2" in page and "hx-get" not in html(response)
    assert "Subscriptions moved 2" in page and "Subscriptions failed 1" in page
    assert "Failed subscriptions" in page and LONG_NAME in page and "an Azure subscription name is at most 64" in page
    assert f'href="{reverse("customers:customer_detail", args=[fabrikam.tenant_id])}#legacy-azure"' in html(response)
    assert "Tailspin" in page and "The Microsoft Customer Agreement is not confirmed." in page
    assert "Cancel the batch" not in page
    # Cancelling the finished batch: a clear message, no 500.
    response = client.post(reverse("azureplan:legacy_batch_cancel", args=[job.public_id]))
    assert response.status_code == 409 and "only a running batch can be cancelled" in text(response)


def test_batch_of_chosen_customers_and_the_progress_partial(portal_client, ga_aa, estate, org, actor_of):
    other = buyable_customer(org, company_name="Other Co")
    legacy_estate(actor_of(ga_aa), other, 1)
    client = portal_client(ga_aa)
    # Not run at commit (no capture): the batch stays running, the partial polls and offers Cancel.
    response = client.post(reverse("azureplan:legacy_batch_start"), {"scope": "chosen",
                                                                     "customers": [str(estate.tenant_id)]})
    job = Job.objects.get(kind=legacy_rules.BATCH_KIND)
    assert response.status_code == 302 and job.total == 1
    assert ProductUpgrade.objects.get().customer == estate
    partial = client.get(reverse("azureplan:legacy_batch_detail", args=[job.public_id]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in html(partial)
    assert 'hx-trigger="every 2s"' in html(partial) and "0 of 1" in text(partial)
    assert "Cancel the batch" in text(partial)
    response = client.post(reverse("azureplan:legacy_batch_cancel", args=[job.public_id]))
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "The batch is cancelled: 1 customer not yet started" in page and "Cancel the batch" not in page
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_a_cancelled_batch_keeps_showing_customers_still_finishing(portal_client, ga_aa, estate, org, actor_of):
    other = buyable_customer(org, company_name="Other Co")
    legacy_estate(actor_of(ga_aa), other, 1)
    client = portal_client(ga_aa)
    client.post(reverse("azureplan:legacy_batch_start"), {"scope": "all"})  # not run: no commit in this test
    job = Job.objects.get(kind=legacy_rules.BATCH_KIND)
    running = ProductUpgrade.objects.get(customer=estate)
    ProductUpgrade.objects.filter(pk=running.pk).update(status="inProgress")  # a worker has it right now
    client.post(reverse("azureplan:legacy_batch_cancel", args=[job.public_id]))
    partial = client.get(reverse("azureplan:legacy_batch_detail", args=[job.public_id]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in html(partial)
    assert "Cancelled: 1 customer already under way is finishing" in text(partial)
    assert "Cancel the batch" not in text(partial)
    ProductUpgrade.objects.filter(pk=running.pk).update(status="pending")
    legacy_transition.upgrade_run(running.pk)  # it was already claimed: it still runs to its end
    ProductUpgrade.objects.filter(pk=running.pk).update(status="inProgress")
    legacy_transition.upgrade_run(running.pk)
    partial = client.get(reverse("azureplan:legacy_batch_detail", args=[job.public_id]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger' not in html(partial) and "finishing" not in text(partial)
    assert ProductUpgrade.objects.get(pk=running.pk).status == "completed"


def test_the_section_reloads_the_page_once_the_transition_finished(portal_client, ga_aa, estate,
                                                                   django_capture_on_commit_callbacks):
    client = portal_client(ga_aa)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(reverse("azureplan:customer_legacy_start", args=[estate.tenant_id]))
    section_url = reverse("azureplan:customer_legacy_section", args=[estate.tenant_id])
    assert "HX-Refresh" not in client.get(section_url, HTTP_HX_REQUEST="true")
    for callback in queued:
        callback()
    # The Azure plan section above changed too (a new plan): htmx reloads the whole page.
    assert client.get(section_url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


def test_a_rename_refused_where_no_form_is_shown_says_why_at_the_top(portal_client, ga_aa, estate):
    client = portal_client(ga_aa)
    legacy = LegacySubscription.objects.filter(customer=estate).first()
    for value, message in (("", "This field is required"), ("y" * 200, "at most 64 characters")):
        response = client.post(reverse("azureplan:legacy_subscription_rename", args=[legacy.public_id]),
                               {"friendly_name": value})
        assert response.status_code == 400
        assert message in text(response), text(response)[:2000]
    legacy.refresh_from_db()
    assert legacy.friendly_name in ("Contoso production", "Contoso test")


def test_batch_start_bad_input(portal_client, ga_aa, estate, other_org, actor_of):
    client = portal_client(ga_aa)
    response = client.post(reverse("azureplan:legacy_batch_start"), {"scope": "chosen"})
    assert response.status_code == 400 and "Choose at least one customer" in text(response)
    foreign = buyable_customer(other_org, company_name="Foreign")
    response = client.post(reverse("azureplan:legacy_batch_start"), {"scope": "chosen",
                                                                     "customers": [str(foreign.tenant_id)]})
    assert response.status_code == 404
    response = client.post(reverse("azureplan:legacy_batch_start"), {"scope": "chosen", "customers": ["nope"]})
    assert response.status_code == 404
    assert not Job.objects.filter(kind=legacy_rules.BATCH_KIND).exists()


def test_batch_with_no_eligible_customer_is_refused_on_the_page(portal_client, ga_aa, org, actor_of):
    no_mca = CustomerFactory(organisation=org, company_name="Tailspin")
    legacy_estate(actor_of(ga_aa), no_mca, 1)
    response = portal_client(ga_aa).post(reverse("azureplan:legacy_batch_start"), {"scope": "all"})
    assert response.status_code == 400
    assert "None of the chosen customers can transition now" in text(response) and "Tailspin" in text(response)
    assert not Job.objects.filter(kind=legacy_rules.BATCH_KIND).exists()


def test_foreign_batch_is_404(portal_client, ga_aa, make_user, other_org, actor_of,
                              django_capture_on_commit_callbacks):
    other_admin = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=other_org, email="b@b.example.com")
    customer = buyable_customer(other_org, company_name="B's customer")
    legacy_estate(actor_of(other_admin), customer, 1)
    with django_capture_on_commit_callbacks(execute=True):
        job = legacy_services.batch_start(actor=actor_of(other_admin), all_eligible=True).job
    client = portal_client(ga_aa)
    assert client.get(reverse("azureplan:legacy_batch_detail", args=[job.public_id])).status_code == 404
    assert client.post(reverse("azureplan:legacy_batch_cancel", args=[job.public_id])).status_code == 404
    assert client.get(reverse("azureplan:legacy_batch_detail", args=[uuid.uuid4()])).status_code == 404


# ---------------------------------------------------------------- the customer page's section


def test_no_section_without_legacy_subscriptions(portal_client, ga_aa, contoso):
    response = customer_page(portal_client(ga_aa), contoso)
    assert response.status_code == 200 and "Legacy Azure (MS-AZR-0145P)" not in text(response)


def test_section_start_and_complete(portal_client, ga_aa, estate, django_capture_on_commit_callbacks):
    client = portal_client(ga_aa)
    page = text(customer_page(client, estate))
    assert "Legacy Azure (MS-AZR-0145P)" in page and "Contoso production" in page
    assert "2 legacy subscriptions move to the Azure plan." in page
    assert "keeps its id, its name and its access rights" in page and "billed on the legacy invoice" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("azureplan:customer_legacy_start", args=[estate.tenant_id]))
    assert response.status_code == 302 and response["Location"].endswith("#legacy-azure")
    response = customer_page(client, estate)
    page = text(response)
    plan = AzurePlan.objects.get(customer=estate)
    assert "The transition of Contoso Ltd to the Azure plan started." in page
    assert "Latest transition Completed" in page
    assert "Set a new spending budget for Contoso Ltd: the budget of its legacy subscriptions is not carried over" in page
    assert "spending budgets come to this portal" not in page  # they exist: the reminder links to the budget form
    assert f'href="/spend/{estate.tenant_id}/#budget" data-testid="budget-link"' in html(response)
    assert "Set the budget on the customer's Spend page" in page
    assert f"#plan-{plan.public_id}" in html(response) and "Suspended" in page
    assert "Transition billing to Azure plan" not in page and 'hx-get="' + reverse(
        "azureplan:customer_legacy_section", args=[estate.tenant_id]) not in html(response)
    # Starting again: refused on the page, nothing new.
    response = client.post(reverse("azureplan:customer_legacy_start", args=[estate.tenant_id]))
    assert response.status_code == 400 and "no active legacy Azure" in text(response)
    assert ProductUpgrade.objects.count() == 1


def test_section_polls_while_the_transition_runs(portal_client, ga_aa, estate):
    client = portal_client(ga_aa)
    client.post(reverse("azureplan:customer_legacy_start", args=[estate.tenant_id]))  # not run: no commit in this test
    section_url = reverse("azureplan:customer_legacy_section", args=[estate.tenant_id])
    page = customer_page(client, estate)
    assert f'hx-get="{section_url}"' in html(page) and "Pending" in text(page)
    partial = client.get(section_url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in html(partial) and "This section updates by itself." in \
        text(partial)
    # A second start while it runs: a visible refusal, no 500.
    response = client.post(reverse("azureplan:customer_legacy_start", args=[estate.tenant_id]))
    assert response.status_code == 409 and "already in progress" in text(response)


def test_rename_and_retry_a_failed_line(portal_client, ga_aa, contoso, actor_of, django_capture_on_commit_callbacks):
    legacy_estate(actor_of(ga_aa), contoso, 2, names=["Short", LONG_NAME])
    client = portal_client(ga_aa)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("azureplan:customer_legacy_start", args=[contoso.tenant_id]))
    upgrade = ProductUpgrade.objects.get()
    assert upgrade.status == "failed"
    page = text(customer_page(client, contoso))
    assert "Latest transition Failed" in page and "Rename" in page
    assert "Retry the failed subscriptions" not in page  # offered once something changed (the name)
    legacy = LegacySubscription.objects.get(friendly_name=LONG_NAME)
    rename_url = reverse("azureplan:legacy_subscription_rename", args=[legacy.public_id])
    # Too long again: the message beside the field, nothing changed.
    response = client.post(rename_url, {"friendly_name": "x" * 65})
    assert response.status_code == 400 and 'data-field-error="friendly_name"' in html(response)
    response = client.post(rename_url, {"friendly_name": ""})
    assert response.status_code == 400 and 'data-field-error="friendly_name"' in html(response)
    legacy.refresh_from_db()
    assert legacy.friendly_name == LONG_NAME
    response = client.post(rename_url, {"friendly_name": "Contoso analytics"})
    assert response.status_code == 302
    assert "Retry the failed subscriptions" in text(customer_page(client, contoso))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("azureplan:customer_legacy_retry", args=[contoso.tenant_id, upgrade.public_id]))
    assert response.status_code == 302
    page = text(customer_page(client, contoso))
    assert "Latest transition Completed" in page and "Set a new spending budget" in page
    assert AzureSubscription.objects.filter(friendly_name="Contoso analytics").exists()
    # Retrying the completed upgrade: a visible refusal.
    response = client.post(reverse("azureplan:customer_legacy_retry", args=[contoso.tenant_id, upgrade.public_id]))
    assert response.status_code == 400 and "Only a failed upgrade can be retried" in text(response)
    # Renaming the moved subscription: refused beside the field.
    response = client.post(rename_url, {"friendly_name": "Again"})
    assert response.status_code == 400 and "already moved to the Azure plan" in text(response)


def test_customer_section_posts_by_role_and_tenancy(portal_client, sales, estate, make_user, other_org, actor_of,
                                                    django_capture_on_commit_callbacks):
    legacy = LegacySubscription.objects.filter(customer=estate).first()
    helpdesk_client = portal_client(sales)
    # A Sales agent may transition but not rename (import role).
    response = helpdesk_client.post(reverse("azureplan:legacy_subscription_rename", args=[legacy.public_id]),
                                    {"friendly_name": "x"})
    assert response.status_code == 403
    # Foreign ids: 404.
    other_admin = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=other_org, email="b@b.example.com")
    foreign = buyable_customer(other_org, company_name="Foreign")
    legacy_estate(actor_of(other_admin), foreign, 1)
    with django_capture_on_commit_callbacks(execute=True):
        upgrade = legacy_services.upgrade_start(actor=actor_of(other_admin), customer=foreign)
    foreign_legacy = LegacySubscription.objects.get(customer=foreign)
    assert helpdesk_client.post(reverse("azureplan:customer_legacy_start", args=[foreign.tenant_id])).status_code == 404
    assert helpdesk_client.get(reverse("azureplan:customer_legacy_section", args=[foreign.tenant_id])).status_code == 404
    assert helpdesk_client.post(reverse("azureplan:customer_legacy_retry", args=[foreign.tenant_id, upgrade.public_id])) \
        .status_code == 404
    assert helpdesk_client.post(reverse("azureplan:customer_legacy_retry", args=[estate.tenant_id, upgrade.public_id])) \
        .status_code == 404
    assert helpdesk_client.post(reverse("azureplan:legacy_subscription_rename", args=[foreign_legacy.public_id]),
                                {"friendly_name": "x"}).status_code == 404


def test_a_name_too_long_is_flagged_before_the_transition_and_renamed_in_its_row(portal_client, ga_aa, contoso,
                                                                                actor_of):
    legacy_estate(actor_of(ga_aa), contoso, names=["Fine", LONG_NAME])
    client = portal_client(ga_aa)
    page = customer_page(client, contoso)
    assert "1 subscription has a name longer than an Azure subscription's 64 characters" in text(page)
    assert html(page).count('data-testid="row-rename-form"') == 2 and 'data-testid="name-too-long"' in html(page)
    legacy = LegacySubscription.objects.get(friendly_name=LONG_NAME)
    response = client.post(reverse("azureplan:legacy_subscription_rename", args=[legacy.public_id]),
                           {"friendly_name": "Short"})
    assert response.status_code == 302
    page = customer_page(client, contoso)
    assert "longer than an Azure subscription's 64 characters" not in text(page)
    assert LegacySubscription.objects.get(pk=legacy.pk).friendly_name == "Short"


def test_the_rename_box_help_reads_in_french(portal_client, make_user, contoso, actor_of):
    """The rename box's help text is translated when the page is shown, not once when the form's module loads."""
    french = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="fr@a.example.com", language="fr")
    legacy_estate(actor_of(french), contoso, names=["Fine", LONG_NAME])
    page = text(customer_page(portal_client(french), contoso))
    assert "64 caractères au maximum, la limite du nom d'un abonnement Azure." in page
    assert "At most 64 characters" not in page


def _rename_box_value(page, legacy):
    action = reverse("azureplan:legacy_subscription_rename", args=[legacy.public_id])
    form = re.search(rf'<form[^>]*action="{re.escape(action)}[^>]*>.*?</form>', html(page), re.S)
    assert form, "no rename box for this subscription"
    found = re.search(r'<input[^>]*name="friendly_name"[^>]*>', form.group(0))
    value = re.search(r'value="([^"]*)"', found.group(0))
    return unescape(value.group(1)) if value else ""


def test_the_rename_box_starts_with_the_current_name_and_its_message_fits_what_happened(
        portal_client, ga_aa, contoso, actor_of, django_capture_on_commit_callbacks):
    legacy_estate(actor_of(ga_aa), contoso, names=["Contoso production", LONG_NAME])
    client = portal_client(ga_aa)
    fine = LegacySubscription.objects.get(friendly_name="Contoso production")
    long = LegacySubscription.objects.get(friendly_name=LONG_NAME)
    page = customer_page(client, contoso)
    assert _rename_box_value(page, fine) == "Contoso production"
    assert _rename_box_value(page, long) == LONG_NAME
    # No transition ran: the message says the new name only.
    response = client.post(reverse("azureplan:legacy_subscription_rename", args=[fine.public_id]),
                           {"friendly_name": "Contoso prod"}, follow=True)
    said = text(response)
    assert "The legacy subscription is now called “Contoso prod”." in said
    assert "Retry the failed subscriptions to move it" not in said
    # A transition failed for the long name: renaming it says to retry.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("azureplan:customer_legacy_start", args=[contoso.tenant_id]))
    assert ProductUpgrade.objects.get().status == "failed"
    assert _rename_box_value(customer_page(client, contoso), long) == LONG_NAME
    response = client.post(reverse("azureplan:legacy_subscription_rename", args=[long.public_id]),
                           {"friendly_name": "Contoso analytics"}, follow=True)
    assert ("The legacy subscription is now called “Contoso analytics”. Retry the failed subscriptions to move it."
            in text(response))
