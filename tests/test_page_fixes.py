"""Page fixes (Django client and services): GUID principals and another partner's PartnerID on role
assignments, every page a user lands on answers GET, all of a form's errors at once, messages that give the
right reason in the person's language, validation before confirmation, retrying a failed transition line only
once something changed, and the reseller's customer page (activity, the owner of a new Azure subscription)."""

import re
import uuid
from html import unescape

import pytest
from django.urls import reverse

from accounts.choices import Role, Tier
from azureplan import errors
from azureplan.legacy import importer as legacy_importer
from azureplan.legacy import views as legacy_views
from azureplan.models import AzurePlan, LegacySubscription, RoleAssignment
from azureplan.ordering import services as ordering_services
from azureplan.plans import services as plan_services
from azureplan.tests.factories import buyable_customer, legacy_csv, plan_line
from core.errors import InvalidInput
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

GUID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def admin_agent(make_user):
    return make_user(Role.ADMIN_AGENT, email="aa@a.example.com")


@pytest.fixture
def sales(make_user):
    return make_user(Role.SALES_AGENT, email="sales@a.example.com")


@pytest.fixture
def customer(org):
    return buyable_customer(org, company_name="Contoso Ltd")


def buy(actor, customer, capture):
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line()])
    with capture(execute=True):
        ordering_services.cart_checkout(actor=actor, cart=cart)
    return AzurePlan.objects.get(customer=customer, status="active")


@pytest.fixture
def sub(customer, sales, actor_of, django_capture_on_commit_callbacks):
    return buy(actor_of(sales), customer, django_capture_on_commit_callbacks).azure_subscriptions.get()


def roles_state():
    return list(RoleAssignment.objects.order_by("pk").values_list("pk", "principal_id", "removed_at")), \
        AuditEvent.objects.count()


# ---------------------------------------------------------------- 15: principals are GUIDs


def test_role_form_refuses_a_principal_id_that_is_not_a_guid(portal_client, admin_agent, sub):
    client = portal_client(admin_agent)
    before = roles_state()
    response = client.post(reverse("azureplan:role_assignment_add", args=[sub.subscription_id]), {
        "principal_type": "customer_user", "principal_id": "not-a-guid", "principal_name": "Dana", "role_name": "Reader",
        "resource_group": "", "partner_id": ""})
    assert response.status_code == 400
    assert 'data-field-error="principal_id"' in response.content.decode()
    assert "object id (a GUID" in text(response)
    assert roles_state() == before


def test_api_refuses_a_principal_id_that_is_not_a_guid(api_client_for, admin_agent, sub):
    api = api_client_for(admin_agent)
    before = roles_state()
    response = api.post(
        f"/v1/customers/{sub.plan.customer.tenant_id}/subscriptions/{sub.plan.public_id}/azureEntitlements/"
        f"{sub.subscription_id}/roleAssignments",
        {"principalType": "customer_user", "principalId": "not-a-guid", "principalName": "Dana", "roleName": "Reader"},
        format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == 800002 and "GUID" in response.json()["description"]
    assert roles_state() == before


def test_another_partners_principal_needs_its_partner_id(portal_client, admin_agent, actor_of, sub):
    before = roles_state()
    with pytest.raises(InvalidInput) as exc:
        plan_services.role_assignment_add(actor=actor_of(admin_agent), sub=sub, principal_type="other_partner",
                                          principal_id=GUID, principal_name="MSP", role="Reader", partner="")
    assert exc.value.field == "partnerId"
    response = portal_client(admin_agent).post(reverse("azureplan:role_assignment_add", args=[sub.subscription_id]), {
        "principal_type": "other_partner", "principal_id": GUID, "principal_name": "MSP", "role_name": "Reader",
        "resource_group": "", "partner_id": ""})
    assert response.status_code == 400 and 'data-field-error="partner_id"' in response.content.decode()
    assert roles_state() == before
    assignment = plan_services.role_assignment_add(actor=actor_of(admin_agent), sub=sub, principal_type="other_partner",
                                                   principal_id=GUID.upper(), principal_name="MSP", role="Reader",
                                                   partner="4400004")
    assert assignment.principal_id == GUID


def test_the_admin_agents_foreign_principal_is_a_guid(org):
    principal_id, _name = plan_services.admin_agents_principal(org)
    assert str(uuid.UUID(principal_id)) == principal_id


def test_legacy_import_role_assignments_need_guids_and_the_template_uses_them(org, make_user, actor_of, customer):
    actor = actor_of(make_user(Role.ADMIN_AGENT, email="imp@a.example.com"))
    for bad in ("customer_user:it-admin@contoso.example.com:Reader", f"other_partner:{GUID}:Reader",
                "other_partner:not-a-guid/4400004:Reader"):
        with pytest.raises(errors.LegacyImportInvalid) as exc:
            legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, uuid.uuid4(), "A", "",
                                                                            "2019-01-01", bad)]))
        assert [row["field"] for row in exc.value.data] == ["roleAssignments"], bad
    assert not LegacySubscription.objects.exists()
    legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, uuid.uuid4(), "A", "", "2019-01-01",
                                                                    f"other_partner:{GUID}/4400004:Reader")]))
    assert LegacySubscription.objects.get().role_assignments[0]["principal_id"] == GUID
    # The template's example rows name object ids, as the role form asks, never an e-mail address.
    examples = ";".join(row.split(",")[5] for row in legacy_views.EXAMPLE_ROWS)
    assert "@" not in examples and "customer_user:" in examples
    for entry in filter(None, examples.split(";")):
        kind, principal, _role = entry.split(":")
        if kind == "customer_user":
            uuid.UUID(principal)


# ---------------------------------------------------------------- 16: every page answers GET; all errors at once


def test_a_reload_of_a_form_error_page_goes_back_to_the_form(portal_client, make_user, customer, sub, org):
    client = portal_client(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga@a.example.com"))
    plan = sub.plan
    customer_url = reverse("customers:customer_detail", args=[customer.tenant_id])
    expected = {
        reverse("azureplan:legacy_batch_start"): reverse("azureplan:legacy_workspace"),
        reverse("azureplan:azure_subscriptions_cancel", args=[plan.public_id]): customer_url + "#azure-plan",
        reverse("azureplan:azure_plan_action", args=[plan.public_id]): customer_url + "#azure-plan",
        reverse("azureplan:azure_subscription_create", args=[plan.public_id]): customer_url + "#azure-plan",
        reverse("agreements:customer_attest", args=[customer.tenant_id]): customer_url + "#agreements",
        reverse("customers:invitation_create"): reverse("customers:invitation_list"),
        reverse("azureplan:role_assignment_add", args=[sub.subscription_id]):
            reverse("azureplan:azure_subscription_detail", args=[sub.subscription_id]),
        reverse("customers:customer_assign_reseller", args=[customer.tenant_id]): customer_url,
    }
    for url, home in expected.items():
        response = client.get(url)
        assert (response.status_code, response.get("Location")) == (302, home), url
        assert client.get(home).status_code == 200, home
    assert client.put(reverse("azureplan:legacy_batch_start")).status_code == 405
    # A foreign plan's cancel URL is still 404, not a redirect naming its customer.
    assert client.get(reverse("azureplan:azure_subscriptions_cancel", args=[uuid.uuid4()])).status_code == 404


def test_the_customer_form_shows_every_bad_field_at_once(portal_client, make_user):
    from customers.models import Customer
    from customers.tests.factories import customer_data

    client = portal_client(make_user(Role.SALES_AGENT, email="s2@a.example.com"))
    data = {k: v for k, v in customer_data(domain="not a domain", culture="english", country="ZZ",
                                           email="nope").items() if v is not None}
    response = client.post(reverse("customers:customer_create"), data)
    assert response.status_code == 400
    errors = dict(re.findall(r'data-field-error="([^"]+)">([^<]*)<', response.content.decode()))
    assert set(errors) == {"domain", "culture", "country", "email"}, errors
    assert "not a valid domain name" in unescape(errors["domain"]) and "ZZ is not a known" in unescape(errors["country"])
    assert not Customer.objects.exists()


# ---------------------------------------------------------------- 18: the right reason, in the person's language


def test_a_reseller_is_told_its_partner_type_cannot_add_customers_not_to_ask_for_a_role(portal_client, make_org,
                                                                                        make_user):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    client = portal_client(make_user(Role.ADMIN_AGENT, organisation=reseller, email="aa@r.example.com"))
    response = client.get(reverse("customers:customer_create"))
    assert response.status_code == 403
    body = text(response)
    assert "cannot do this, whatever the roles" in body and "Indirect reseller" in body
    assert "Ask a Global admin" not in body and "needs one of the roles" not in body


def test_a_global_admin_is_not_told_to_ask_a_global_admin(portal_client, make_user):
    client = portal_client(make_user(Role.GLOBAL_ADMIN, email="ga@a.example.com"))
    response = client.get(reverse("customers:invitation_list"))
    assert response.status_code == 403
    body = text(response)
    assert "Admin agent" in body and "give yourself the role" in body and "Ask a Global admin" not in body
    helpdesk = portal_client(make_user(Role.HELPDESK_AGENT, email="hd@a.example.com"))
    assert "Ask a Global admin" in text(helpdesk.get(reverse("customers:invitation_list")))


def test_the_missing_agreement_notice_speaks_pages_not_api(org, sales, actor_of):
    from agreements.services import purchase_gate
    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory(organisation=org)
    with pytest.raises(Exception) as exc:
        purchase_gate(customer=customer)
    assert "/v1/" not in str(exc.value.description) and "Agreements" in str(exc.value.description)


def test_an_open_transition_is_named_in_words_not_by_its_id(org, make_user, actor_of, customer):
    from azureplan.choices import UpgradeStatus
    from azureplan.legacy import services as legacy_services
    from azureplan.models import ProductUpgrade
    from azureplan.tests.factories import legacy_estate

    actor = actor_of(make_user(Role.ADMIN_AGENT, email="aa2@a.example.com"))
    legacy_estate(actor, customer)
    upgrade = ProductUpgrade.objects.create(customer=customer, status=UpgradeStatus.FAILED)
    _eligible, skipped = legacy_services.eligibility_in_bulk(actor, [customer])
    assert len(skipped) == 1 and str(upgrade.public_id) not in skipped[0]["reason"]
    assert "retry" in skipped[0]["reason"] and "(failed)" not in skipped[0]["reason"]


def test_audit_and_activity_texts_follow_the_readers_language(portal_client, make_user, customer, sub):
    from azureplan.models import Order

    ga = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga3@a.example.com", language="fr")
    client = portal_client(ga)
    order = Order.objects.get(customer=customer)
    audit = text(client.get(reverse("accounts:settings_audit")))
    assert f"{order.alternate_id} (completed)" not in audit and f"{order.alternate_id} (Terminée)" in audit
    assert "(Active)" not in audit and " provisioning " not in f" {audit} "
    page = text(client.get(reverse("customers:customer_detail", args=[customer.tenant_id])))
    assert " provisioning " not in f" {page} "


def test_the_saved_message_is_in_the_language_just_chosen(portal_client, make_user):
    user = make_user(Role.SALES_AGENT, email="lang@a.example.com", language="en")
    client = portal_client(user)
    response = client.post(reverse("accounts:settings_account"), {"first_name": "Lou", "last_name": "Lang",
                                                                  "language": "fr"},
                           follow=True)
    assert "Votre compte a été enregistré." in text(response) and "Your account was saved." not in text(response)


# ---------------------------------------------------------------- 19: validate first, confirm only what can happen


def test_only_what_can_happen_is_offered_for_confirmation(portal_client, make_user, customer, sub):
    ga = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="solo@a.example.com")
    client = portal_client(ga)
    page = client.get(reverse("customers:customer_detail", args=[customer.tenant_id])).content.decode()
    assert 'data-testid="suspend-blocked"' in page and 'value="suspend"' not in page
    assert 'data-confirm-requires="cancellation_reason"' in page and 'data-confirm-max="10"' in page
    # The only active Global admin cannot be deactivated: the page says so instead of asking to confirm it.
    own = client.get(reverse("accounts:user_detail", args=[ga.public_id])).content.decode()
    assert 'data-testid="deactivate-refused"' in own and 'name="active" value="0"' not in own
    other = make_user(Role.GLOBAL_ADMIN, email="second@a.example.com")
    own = client.get(reverse("accounts:user_detail", args=[ga.public_id])).content.decode()
    assert 'data-testid="deactivate-refused"' not in own and "Deactivate your own account?" in unescape(own)
    assert "Deactivate this user?" in client.get(reverse("accounts:user_detail", args=[other.public_id])).content.decode()


# ---------------------------------------------------------------- 21: the reseller's customer page


def test_the_resellers_customer_page_shows_the_orders_and_the_real_owner(portal_client, make_org, make_user, actor_of,
                                                                         django_capture_on_commit_callbacks):
    from accounts.models import Country

    us = Country.objects.get(code="US")
    provider = make_org(tier=Tier.INDIRECT_PROVIDER, country=us, name="Provider Co")
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, country=us, name="Northwind Resale")
    agent = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, organisation=provider, email="aa@provider.example.com",
                      first_name="Staff", last_name="Member")
    customer = buyable_customer(provider, reseller=reseller)
    cart = ordering_services.cart_create(actor=actor_of(agent), customer=customer,
                                         items=[plan_line(reseller=reseller.partner_id)])
    with django_capture_on_commit_callbacks(execute=True):
        ordering_services.cart_checkout(actor=actor_of(agent), cart=cart)
    seller = make_user(Role.SALES_AGENT, Role.ADMIN_AGENT, organisation=reseller, email="sam@reseller.example.com")
    client = portal_client(seller)
    page = client.get(reverse("customers:customer_detail", args=[customer.tenant_id])).content.decode()
    activity = re.search(r'data-testid="activity".*?</table>', page, re.S).group(0)
    assert "Nothing yet." not in activity and "Order placed" in activity
    assert "Provider Co" in activity and "aa@provider.example.com" not in activity and "Staff Member" not in activity
    # Not the provider's other business with the customer (its agreement attestations, profile changes).
    assert "Microsoft Customer Agreement" not in unescape(activity)

    plan = AzurePlan.objects.get(customer=customer)
    response = client.post(reverse("azureplan:azure_subscription_create", args=[plan.public_id]), {"friendly_name": "Shop"},
                           follow=True)
    body = text(response)
    assert "Your Admin agents are its Owner" not in body
    assert "Provider Co's Admin agents are its Owner" in body


# ---------------------------------------------------------------- 20: retry once something changed; who renames

LONG_NAME = "A legacy subscription whose friendly name is far too long for an Azure subscription"


def test_a_failed_line_is_retried_only_once_something_changed(portal_client, make_user, actor_of, customer,
                                                             django_capture_on_commit_callbacks):
    from azureplan.legacy import services as legacy_services
    from azureplan.models import ProductUpgrade
    from azureplan.tests.factories import legacy_estate

    ga_aa = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="gaaa@a.example.com")
    legacy_estate(actor_of(ga_aa), customer, 2, names=["Short", LONG_NAME])
    client = portal_client(ga_aa)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("azureplan:customer_legacy_start", args=[customer.tenant_id]))
    upgrade = ProductUpgrade.objects.get()
    assert upgrade.status == "failed"
    page = client.get(reverse("customers:customer_detail", args=[customer.tenant_id])).content.decode()
    assert "Retry the failed subscriptions" not in page and 'data-testid="retry-waits"' in page
    before = (AuditEvent.objects.count(), list(upgrade.lines.values_list("status", flat=True)))
    with pytest.raises(errors.UpgradeError) as exc:
        legacy_services.upgrade_retry(actor=actor_of(ga_aa), upgrade=upgrade)
    assert "Nothing changed" in str(exc.value.description)
    response = client.post(reverse("azureplan:customer_legacy_retry", args=[customer.tenant_id, upgrade.public_id]))
    assert response.status_code == 400 and "Nothing changed" in text(response)
    assert (AuditEvent.objects.count(), list(upgrade.lines.values_list("status", flat=True))) == before
    upgrade.refresh_from_db()
    assert upgrade.status == "failed"

    # A Sales agent sees who can rename (it has no control to do it).
    sales_page = text(portal_client(make_user(Role.SALES_AGENT, email="s9@a.example.com")).get(
        reverse("customers:customer_detail", args=[customer.tenant_id])))
    assert "Only a user with one of these roles can rename it: Global admin, Admin agent." in sales_page
