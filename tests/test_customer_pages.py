"""Customer pages through Django's test client: errors beside the field with nothing changed, the
public invitation page, role-hidden buttons, 404 for foreign ids, no change on GET."""

import html as htmllib
import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role, Tier
from accounts.models import Country
from agreements.models import Agreement
from azureplan.models import AzurePlan, AzureSubscription
from azureplan.tests.factories import azure_plan_with_subscriptions
from core.api.etag import etag_for
from core.models import AuditEvent
from core.testing import page_url
from customers import services
from customers.models import Customer, RelationshipRequest
from customers.tests.factories import CustomerFactory, customer_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user):
    return make_user(Role.SALES_AGENT, email="agent@a.example.com", first_name="Sam", last_name="Seller")


@pytest.fixture
def customer(org):
    return CustomerFactory(organisation=org, company_name="Contoso Ltd", domain="contoso.onmicrosoft.com",
                           first_name="Jo", last_name="Buyer", email="jo@contoso.example.com",
                           phone_number="+1 425 555 0100")


def html(response):
    return response.content.decode()


def field_errors(response):
    """{field name: error text} shown beside the fields."""
    return {name: htmllib.unescape(text)
            for name, text in re.findall(r'data-field-error="([^"]+)">([^<]*)<', html(response))}


def snapshot():
    return (list(Customer.objects.order_by("pk").values()), Agreement.objects.count(),
            list(RelationshipRequest.objects.order_by("pk").values_list("pk", "status")), AuditEvent.objects.count())


# ---------------------------------------------------------------- list


def test_list_search_filters_sorting_and_paging(portal_client, agent, org, other_org):
    for n in range(53):
        CustomerFactory(organisation=org, company_name=f"Zeta {n:02d}", domain=f"zeta{n:02d}.onmicrosoft.com")
    CustomerFactory(organisation=org, company_name="Alpha Corp", domain="alpha.onmicrosoft.com")
    CustomerFactory(organisation=org, company_name="Beta GmbH", domain="contoso-beta.onmicrosoft.com",
                    country=Country.objects.get(code="GU"), state="")
    removed = CustomerFactory(organisation=org, company_name="Gone Inc", domain="gone.onmicrosoft.com",
                              relationship="none")
    CustomerFactory(organisation=other_org, company_name="Alpha Foreign", domain="alpha-foreign.onmicrosoft.com")
    client = portal_client(agent)

    response = client.get(reverse("customers:customer_list"))
    assert response.status_code == 200
    names = [c.company_name for c in response.context["page"]]
    assert names[:3] == ["Alpha Corp", "Beta GmbH", "Zeta 00"] and len(names) == 50
    assert "55 customers" in html(response) and "Page 1 of 2" in html(response)
    page2 = client.get(reverse("customers:customer_list"), {"page": 2})
    assert [c.company_name for c in page2.context["page"]] == ["Zeta 48", "Zeta 49", "Zeta 50", "Zeta 51", "Zeta 52"]

    def found(**params):
        return [c.company_name for c in client.get(reverse("customers:customer_list"), params).context["page"]]

    assert found(q="alp") == ["Alpha Corp"]  # not the other partner's
    assert found(q="contoso") == ["Beta GmbH"]  # by domain
    assert found(q="contoso", field="company_name") == []
    assert found(q="beta", field="domain") == []
    assert found(country="GU") == ["Beta GmbH"]
    assert removed.company_name not in found(q="gone")
    assert found(q="gone", removed="1") == ["Gone Inc"]


def test_indirect_provider_filters_by_reseller_and_assigns(portal_client, make_org, make_user):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(name="Reseller R", tier=Tier.INDIRECT_RESELLER, provider=provider)
    user = make_user(Role.ADMIN_AGENT, organisation=provider)
    mine = CustomerFactory(organisation=provider, reseller=reseller, company_name="Via Reseller")
    direct = CustomerFactory(organisation=provider, company_name="Direct One")
    client = portal_client(user)
    response = client.get(reverse("customers:customer_list"), {"reseller": reseller.partner_id})
    assert [c.company_name for c in response.context["page"]] == ["Via Reseller"]
    assert 'id="reseller"' in html(response)

    page = html(client.get(reverse("customers:customer_detail", args=[direct.tenant_id])))
    assert reverse("customers:customer_assign_reseller", args=[direct.tenant_id]) in page
    response = client.post(reverse("customers:customer_assign_reseller", args=[direct.tenant_id]),
                           {"reseller": reseller.partner_id}, follow=True)
    assert "Reseller R is now the indirect reseller of record of Direct One." in html(response)
    direct.refresh_from_db()
    assert direct.reseller == reseller
    response = client.post(reverse("customers:customer_assign_reseller", args=[direct.tenant_id]), {"reseller": "9999999"},
                           follow=True)
    assert "9999999 is not one of your indirect resellers." in html(response)
    direct.refresh_from_db()
    assert direct.reseller == reseller

    # The reseller sees its customers, and no assignment form.
    reseller_user = make_user(Role.ADMIN_AGENT, organisation=reseller)
    response = portal_client(reseller_user).get(reverse("customers:customer_list"))
    assert {c.company_name for c in response.context["page"]} == {"Via Reseller", "Direct One"}
    page = html(portal_client(reseller_user).get(reverse("customers:customer_detail", args=[mine.tenant_id])))
    assert reverse("customers:customer_assign_reseller", args=[mine.tenant_id]) not in page
    assert "Indirect resellers cannot attest" in page and 'data-testid="attest-form"' not in page


def test_buttons_follow_the_roles(portal_client, make_user, customer):
    detail = reverse("customers:customer_detail", args=[customer.tenant_id])
    sales = html(portal_client(make_user(Role.SALES_AGENT)).get(reverse("customers:customer_list")))
    assert reverse("customers:customer_create") in sales and reverse("customers:invitation_list") in sales
    sales_detail = html(portal_client(make_user(Role.SALES_AGENT)).get(detail))
    assert 'data-testid="attest-form"' in sales_detail
    assert reverse("customers:customer_billing", args=[customer.tenant_id]) in sales_detail
    assert reverse("customers:customer_remove_relationship", args=[customer.tenant_id]) not in sales_detail

    helpdesk = portal_client(make_user(Role.HELPDESK_AGENT))
    page = html(helpdesk.get(reverse("customers:customer_list")))
    assert reverse("customers:customer_create") not in page and reverse("customers:invitation_list") not in page
    # The tab it does not see is named, with the roles it needs, rather than silently missing.
    assert 'data-testid="hidden-tabs"' in page and "Reseller relationship invitations:" in page
    assert 'data-testid="hidden-tabs"' not in sales
    page = html(helpdesk.get(detail))
    assert 'data-testid="attest-form"' not in page and "needs the role Admin agent or Sales agent" in page
    assert helpdesk.get(reverse("customers:invitation_list")).status_code == 403
    assert helpdesk.get(reverse("customers:customer_create")).status_code == 403

    billing = portal_client(make_user(Role.BILLING_ADMIN))
    page = html(billing.get(detail))
    assert reverse("customers:customer_billing", args=[customer.tenant_id]) not in page
    assert billing.get(reverse("customers:customer_billing", args=[customer.tenant_id])).status_code == 403

    admin = portal_client(make_user(Role.GLOBAL_ADMIN))
    page = html(admin.get(detail))
    assert reverse("customers:customer_remove_relationship", args=[customer.tenant_id]) in page
    assert 'data-testid="attest-form"' not in page
    before = snapshot()
    response = admin.post(reverse("agreements:customer_attest", args=[customer.tenant_id]), {
        "first_name": "A", "last_name": "B", "email": "a@b.example.com", "date_agreed": "2024-01-01"})
    assert response.status_code == 403 and "Admin agent, Sales agent" in html(response)
    assert snapshot() == before


def test_navigation_points_at_the_customer_list(portal_client, agent):
    page = html(portal_client(agent).get("/"))
    assert f'href="{reverse("customers:customer_list")}" data-workspace="customers"' in page
    assert portal_client(agent).get("/workspaces/customers/").status_code == 404


# ---------------------------------------------------------------- create


def form_data(**overrides):
    data = customer_data(**overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_create_shows_the_admin_credentials_once(portal_client, agent):
    client = portal_client(agent)
    page = html(client.get(reverse("customers:customer_create")))
    assert 'name="organization_registration_number"' not in page  # nobody in the US market gives one
    response = client.post(reverse("customers:customer_create"), form_data())
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("customers:customer_detail",
                                                                           args=[customer.tenant_id])
    assert customer.organisation == agent.organisation and customer.created_by == agent
    page = html(client.get(response["Location"]))
    assert "NewCo Inc was added." in page and "admin@newco.onmicrosoft.com" in page
    assert "admin@newco.onmicrosoft.com" not in html(client.get(response["Location"]))
    assert "Customer added" in page  # the activity


@pytest.mark.parametrize("overrides,field,message", [
    ({"domain": "not a domain"}, "domain", "not a domain is not a valid domain name"),
    ({"domain": "taken.onmicrosoft.com"}, "domain", "The domain taken.onmicrosoft.com is already taken."),
    ({"domain": ""}, "domain", "This field is required."),
    ({"company_name": "x" * 256}, "company_name", "at most 255 characters"),
    ({"first_name": "x" * 51}, "first_name", "at most 50 characters"),
    ({"last_name": ""}, "last_name", "This field is required."),
    ({"email": "nope"}, "email", "Enter a valid email address."),
    ({"address_line1": "x" * 201}, "address_line1", "at most 200 characters"),
    ({"city": ""}, "city", "This field is required."),
    ({"state": "WAS"}, "state", "WAS is not a state or province of this country"),
    ({"country": "FR", "state": ""}, "country", "a customer in France is outside it"),
    ({"country": "ZZ"}, "country", "ZZ is not a known country code."),
    ({"country": ""}, "country", "This field is required."),
    ({"phone_number": "call me"}, "phone_number", "The phone number may contain digits"),
    ({"phone_number": "(((( ))))"}, "phone_number", "with at least 6 digits"),
    ({"culture": "english"}, "culture", "english is not a culture: write a language and a country, such as en-US"),
    ({"culture": "xx"}, "culture", "xx is not a culture: write a language and a country, such as en-US or fr-FR."),
    ({"culture": "en"}, "culture", "en is not a culture"),  # a language without its country
    ({"culture": "xx-US"}, "culture", "xx-US is not a culture"),  # no such language
    ({"culture": "en-XX"}, "culture", "en-XX is not a culture"),  # no such country
    ({"culture": "en_US"}, "culture", "en_US is not a culture"),
])
def test_create_bad_input_shows_beside_the_field_and_changes_nothing(portal_client, agent, org, overrides, field,
                                                                       message):
    CustomerFactory(organisation=org, domain="taken.onmicrosoft.com")
    before = snapshot()
    response = portal_client(agent).post(reverse("customers:customer_create"), form_data(**overrides))
    assert response.status_code == 400
    errors = field_errors(response)
    assert list(errors) == [field] and message in errors[field], errors
    assert snapshot() == before


@pytest.mark.parametrize("typed,saved", [("fr-FR", "fr-FR"), ("en-gb", "en-GB"), ("zh-hans-cn", "zh-Hans-CN")])
def test_create_keeps_a_culture_as_partner_center_writes_it(portal_client, agent, typed, saved):
    response = portal_client(agent).post(reverse("customers:customer_create"), form_data(culture=typed))
    assert response.status_code == 302
    assert Customer.objects.get().culture == saved


def test_registration_number_and_phone_are_required_in_the_listed_countries(portal_client, make_org, make_user):
    poland = make_org(country=Country.objects.get(code="PL"))
    client = portal_client(make_user(Role.SALES_AGENT, organisation=poland))
    page = html(client.get(reverse("customers:customer_create")))
    assert 'name="organization_registration_number"' in page and "Hungary, Poland" in page
    base = form_data(country="PL", state="", city="Warszawa", postal_code="00-001")
    response = client.post(reverse("customers:customer_create"), base)
    assert "mandatory for customers in Poland" in field_errors(response)["organization_registration_number"]
    response = client.post(reverse("customers:customer_create"), {**base, "organization_registration_number": "PL1234567"})
    assert "mandatory for customers in Poland" in field_errors(response)["phone_number"]
    response = client.post(reverse("customers:customer_create"), {**base, "country": "FR", "postal_code": "75008",
                                                        "organization_registration_number": "X1"})
    assert "isn't supported for customers in France" in field_errors(response)["organization_registration_number"]
    assert not Customer.objects.exists()
    response = client.post(reverse("customers:customer_create"), {**base, "organization_registration_number": "PL1234567",
                                                        "phone_number": "+48 22 000 00 00"})
    assert response.status_code == 302 and Customer.objects.get().organization_registration_number == "PL1234567"


# ---------------------------------------------------------------- customer page


def test_customer_page_shows_every_part(portal_client, agent, customer):
    page = html(portal_client(agent).get(reverse("customers:customer_detail", args=[customer.tenant_id])))
    for text in ("Contoso Ltd", "contoso.onmicrosoft.com", str(customer.tenant_id), "jo@contoso.example.com",
                 "1 Example Street", "Company profile", "Billing profile", "Relationship", "Delegated admin",
                 "Indirect reseller of record", "MCA missing", "No Azure plan yet.", "Buy the Azure plan",
                 "Activity"):
        assert text in page, text
    # The attestation form is prefilled with the billing contact, today as the date.
    assert 'value="Jo"' in page and 'value="Buyer"' in page and 'value="jo@contoso.example.com"' in page
    assert f'value="{timezone.now().date().isoformat()}"' in page


def test_foreign_and_unknown_customers_are_404(portal_client, make_user, other_org):
    client = portal_client(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT))
    foreign = CustomerFactory(organisation=other_org)
    before = snapshot()
    for tenant_id in (foreign.tenant_id, uuid.uuid4()):
        assert client.get(reverse("customers:customer_detail", args=[tenant_id])).status_code == 404
        assert client.get(reverse("customers:customer_billing", args=[tenant_id])).status_code == 404
        for name in ("customer_billing", "customer_assign_reseller", "customer_remove_relationship",
                     "customer_attest"):
            assert client.post(page_url(name, args=[tenant_id]), {}).status_code == 404, name
    assert snapshot() == before


def test_get_never_changes_anything(portal_client, make_user, customer):
    client = portal_client(make_user(Role.GLOBAL_ADMIN, Role.SALES_AGENT))
    before = snapshot()
    for name in ("customer_assign_reseller", "customer_remove_relationship", "customer_attest"):
        assert client.get(page_url(name, args=[customer.tenant_id])).status_code == 302  # back to the form's page
    assert client.get(reverse("customers:invitation_create"), {"include_delegated_admin": "on"}).status_code == 302
    client.get(reverse("customers:customer_billing", args=[customer.tenant_id]), {"city": "Elsewhere"})
    client.get(reverse("customers:customer_create"), form_data())
    assert snapshot() == before


# ---------------------------------------------------------------- billing profile


def billing_data(customer, **overrides):
    data = {"billing_company_name": customer.billing_company_name, "first_name": customer.first_name,
            "last_name": customer.last_name, "email": customer.email, "phone_number": customer.phone_number,
            "country": customer.country_id, "address_line1": customer.address_line1, "address_line2": "",
            "city": customer.city, "state": customer.state, "postal_code": customer.postal_code,
            "language": customer.language, "culture": customer.culture, "etag": etag_for(customer)}
    data.update(overrides)
    return data


def test_billing_profile_is_saved(portal_client, agent, customer):
    client = portal_client(agent)
    page = html(client.get(reverse("customers:customer_billing", args=[customer.tenant_id])))
    assert f'name="etag" value="{etag_for(customer)}"' in page
    response = client.post(reverse("customers:customer_billing", args=[customer.tenant_id]),
                           billing_data(customer, city="Bellevue"), follow=True)
    assert "The billing profile of Contoso Ltd was saved." in html(response)
    customer.refresh_from_db()
    assert customer.city == "Bellevue" and customer.version == 2
    assert "Billing profile changed" in html(response)


@pytest.mark.parametrize("overrides,field,message", [
    ({"email": "nope"}, "email", "Enter a valid email address."),
    ({"first_name": ""}, "first_name", "This field is required."),
    ({"country": "DE"}, "country", "a customer in Germany is outside it"),
    ({"state": "Washington"}, "state", "at most 3 characters"),
    ({"culture": "xx"}, "culture", "xx is not a culture"),
])
def test_billing_profile_bad_input(portal_client, agent, customer, overrides, field, message):
    before = snapshot()
    response = portal_client(agent).post(reverse("customers:customer_billing", args=[customer.tenant_id]),
                                         billing_data(customer, **overrides))
    assert response.status_code == 400
    errors = field_errors(response)
    assert list(errors) == [field] and message in errors[field], errors
    assert snapshot() == before


def test_stale_etag_is_refused_with_a_clear_message(portal_client, agent, customer, actor_of):
    stale = billing_data(customer, city="Tacoma")
    services.customer_update_billing_profile(actor=actor_of(agent), customer=customer,
                                             data=customer_data(city="Bellevue"))
    before = snapshot()
    response = portal_client(agent).post(reverse("customers:customer_billing", args=[customer.tenant_id]), stale)
    assert response.status_code == 409
    page = html(response)
    assert "someone else changed this billing profile after you opened the page" in page
    assert 'value="Tacoma"' in page  # the user's input is kept
    assert snapshot() == before


# ---------------------------------------------------------------- agreements


def attestation(**overrides):
    data = {"first_name": "Jo", "last_name": "Buyer", "email": "jo@contoso.example.com", "phone_number": "",
            "date_agreed": timezone.now().date().isoformat()}
    data.update(overrides)
    return data


def test_attest_then_duplicate_is_shown_on_the_page(portal_client, agent, customer):
    client = portal_client(agent)
    url = reverse("agreements:customer_attest", args=[customer.tenant_id])
    response = client.post(url, attestation())
    assert response.status_code == 302 and response["Location"].endswith("#agreements")
    agreement = Agreement.objects.get()
    assert agreement.attested_by == agent and agreement.source == "partner_attestation"
    assert str(agreement.template.template_id) == "117a77b0-9360-443b-8795-c6dedc750cf9"
    page = html(client.get(response["Location"]))
    assert "MCA confirmed" in page and "MCA missing" not in page and "Attested by the partner" in page

    before = snapshot()
    response = client.post(url, attestation(email="JO@contoso.example.com"))
    assert response.status_code == 400
    page = html(response)
    assert "A partner confirmed agreement already exists for the customer." in page
    assert "data-form-error" in page and "is already recorded as having accepted" in page
    assert snapshot() == before

    response = client.post(url, attestation(phone_number="+1 425 555 0199"))
    assert response.status_code == 302 and Agreement.objects.count() == 2


@pytest.mark.parametrize("overrides,field,message", [
    ({"first_name": ""}, "first_name", "This field is required."),
    ({"last_name": "x" * 51}, "last_name", "at most 50 characters"),
    ({"email": "nope"}, "email", "Enter a valid email address."),
    ({"phone_number": "1" * 31}, "phone_number", "at most 30 characters"),
    ({"phone_number": "call me maybe"}, "phone_number",
     "The phone number may contain digits, spaces and + ( ) . / - only, with at least 6 digits."),
    ({"phone_number": "12345"}, "phone_number", "with at least 6 digits"),
    ({"phone_number": "1+234567"}, "phone_number", "with at least 6 digits"),
    ({"date_agreed": ""}, "date_agreed", "This field is required."),
    ({"date_agreed": "14/06/2024x"}, "date_agreed", "Enter a valid date."),
    ({"date_agreed": (timezone.now() + timedelta(days=2)).date().isoformat()}, "date_agreed",
     "The date the customer accepted cannot be later than today"),
])
def test_bad_attestation_shows_beside_the_field(portal_client, agent, customer, overrides, field, message):
    before = snapshot()
    response = portal_client(agent).post(reverse("agreements:customer_attest", args=[customer.tenant_id]),
                                         attestation(**overrides))
    assert response.status_code == 400
    errors = field_errors(response)
    assert list(errors) == [field] and message in errors[field], errors
    assert snapshot() == before


@pytest.mark.parametrize("phone", ["+1 (425) 555-0199", "+33 1.23.45.67.89", "030/1234567", "123456"])
def test_attestation_takes_a_phone_number_as_people_write_it(portal_client, agent, customer, phone):
    response = portal_client(agent).post(reverse("agreements:customer_attest", args=[customer.tenant_id]),
                                         attestation(phone_number=phone))
    assert response.status_code == 302
    assert Agreement.objects.get().phone_number == phone


# ---------------------------------------------------------------- relationship removal


def test_global_admin_removes_the_relationship(portal_client, global_admin, customer):
    client = portal_client(global_admin)
    response = client.post(reverse("customers:customer_remove_relationship", args=[customer.tenant_id]), follow=True)
    assert "The reseller relationship with Contoso Ltd was removed." in html(response)
    customer.refresh_from_db()
    assert customer.relationship == "none"
    page = html(response)
    assert "Relationship removed" in page
    assert reverse("customers:customer_remove_relationship", args=[customer.tenant_id]) not in page
    assert customer.company_name not in html(client.get(reverse("customers:customer_list")))


def test_removal_is_offered_only_when_nothing_is_active_and_says_what_is(portal_client, global_admin, customer,
                                                                         api_client_for, make_user):
    """An active Azure plan with 2 active Azure subscriptions (and a cancelled one): the page disables the button
    and names them as its Azure plan section does; a POST anyway and the API say the same."""
    plan = azure_plan_with_subscriptions(customer, n=3)
    AzureSubscription.objects.filter(pk=plan.azure_subscriptions.order_by("pk").first().pk).update(status="inactive")
    expected = ("Contoso Ltd still has an active Azure plan and 2 active Azure subscriptions: the reseller relationship "
                "can be removed only once none is left.")
    client, api = portal_client(global_admin), api_client_for(global_admin)
    page = html(client.get(reverse("customers:customer_detail", args=[customer.tenant_id])))
    assert re.search(r'<button[^>]*type="submit" disabled aria-describedby="remove-blocked"', page)
    assert f'data-testid="remove-blocked">{expected}<' in page.replace("&#x27;", "'")
    before = snapshot()
    response = client.post(reverse("customers:customer_remove_relationship", args=[customer.tenant_id]), follow=True)
    assert expected in html(response)
    answer = api.patch(f"/v1/customers/{customer.tenant_id}", {"relationshipToPartner": "none"}, format="json")
    assert answer.status_code == 409 and answer.json()["description"] == expected
    assert answer.json()["parameters"]["activeSubscriptions"] == 3
    assert snapshot() == before

    french = portal_client(make_user(Role.GLOBAL_ADMIN, email="gf@a.example.com", language="fr"))  # same client
    assert ("Contoso Ltd a encore un plan Azure actif et 2 abonnements Azure actifs" in
            html(french.get(reverse("customers:customer_detail", args=[customer.tenant_id]))))
    client = portal_client(global_admin)

    # One Azure subscription left, then none and a suspended plan: said in the singular, then the plan alone.
    AzureSubscription.objects.filter(pk=plan.azure_subscriptions.filter(status="active").first().pk).update(
        status="inactive")
    page = html(client.get(reverse("customers:customer_detail", args=[customer.tenant_id])))
    assert "still has an active Azure plan and an active Azure subscription:" in page
    plan.azure_subscriptions.update(status="inactive")
    AzurePlan.objects.filter(pk=plan.pk).update(status="suspended")
    page = html(client.get(reverse("customers:customer_detail", args=[customer.tenant_id])))
    assert "Contoso Ltd still has a suspended Azure plan: the reseller relationship" in page

    # Cancelled: the button works.
    AzurePlan.objects.filter(pk=plan.pk).update(status="deleted")
    page = html(client.get(reverse("customers:customer_detail", args=[customer.tenant_id])))
    assert 'data-testid="remove-blocked"' not in page and "Only possible while no subscription is active." in page
    assert " disabled aria-describedby=\"remove-blocked\"" not in page
    response = client.post(reverse("customers:customer_remove_relationship", args=[customer.tenant_id]), follow=True)
    assert "The reseller relationship with Contoso Ltd was removed." in html(response)


def test_sales_agent_cannot_remove(portal_client, agent, customer):
    response = portal_client(agent).post(reverse("customers:customer_remove_relationship", args=[customer.tenant_id]))
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.has_relationship


# ---------------------------------------------------------------- invitations (partner side)


def test_agent_generates_an_invitation_and_sees_the_link_once(portal_client, agent):
    client = portal_client(agent)
    response = client.post(reverse("customers:invitation_create"), {"include_delegated_admin": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("customers:invitation_list")
    row = RelationshipRequest.objects.get()
    assert row.include_delegated_admin and row.created_by == agent and row.status == "pending"
    page = html(client.get(reverse("customers:invitation_list")))
    match = re.search(r'data-testid="invitation-url">([^<]+)<', page)
    assert match and "/invitations/" in match.group(1)
    assert services.relationship_request_from_token(match.group(1).rstrip("/").rsplit("/", 1)[1]) == row
    assert "Waiting for the customer" in page and "delegated admin" in page
    page = html(client.get(reverse("customers:invitation_list")))
    assert 'data-testid="invitation-url"' not in page and "Waiting for the customer" in page


def test_indirect_provider_picks_the_reseller(portal_client, make_org, make_user):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(name="Reseller R", tier=Tier.INDIRECT_RESELLER, provider=provider)
    client = portal_client(make_user(Role.ADMIN_AGENT, organisation=provider))
    assert "Reseller R" in html(client.get(reverse("customers:invitation_list")))
    response = client.post(reverse("customers:invitation_create"), {"reseller": "123"})
    assert response.status_code == 400 and "123 is not one of your indirect resellers." in field_errors(response)[
        "reseller"]
    assert not RelationshipRequest.objects.exists()
    client.post(reverse("customers:invitation_create"), {"reseller": reseller.partner_id})
    assert RelationshipRequest.objects.get().reseller == reseller


def test_indirect_reseller_cannot_generate(portal_client, make_org, make_user):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider)
    client = portal_client(make_user(Role.SALES_AGENT, organisation=reseller))
    page = html(client.get(reverse("customers:invitation_list")))
    assert "asks its indirect provider" in page and reverse("customers:invitation_create") not in page
    response = client.post(reverse("customers:invitation_create"), {})
    assert response.status_code == 400 and "asks its indirect provider" in html(response)
    assert not RelationshipRequest.objects.exists()


# ---------------------------------------------------------------- the public invitation page


@pytest.fixture
def invitation(agent, actor_of):
    row, url = services.relationship_request_create(actor=actor_of(agent), include_delegated_admin=True)
    return row, "/" + url.split("://", 1)[1].split("/", 1)[1]


def accept_data(**overrides):
    data = form_data(domain="fabrikam.onmicrosoft.com", company_name="Fabrikam Inc", email="ga@fabrikam.example.com",
                     first_name="Gail", last_name="Admin")
    data.update(overrides)
    return data


def test_public_page_needs_no_sign_in_and_accepts_once(client, invitation, agent):
    row, path = invitation
    response = client.get(path)
    assert response.status_code == 200
    page = html(response)
    assert "Partner A asks to become your Microsoft reseller" in page
    assert 'data-testid="grants-dap"' in page and "Delegated administration privileges" in page
    assert "Microsoft Customer Agreement" in page

    response = client.post(path, accept_data(accept_mca="on"))
    assert response.status_code == 200 and "Partner A is now the reseller of Fabrikam Inc." in html(response)
    customer = Customer.objects.get(domain="fabrikam.onmicrosoft.com")
    assert customer.organisation == agent.organisation and customer.allow_delegated_access
    assert Agreement.objects.get(customer=customer).source == "customer_acceptance"
    row.refresh_from_db()
    assert row.status == "accepted" and row.customer == customer and row.accepted_by_name == "Gail Admin"

    before = snapshot()
    for response in (client.get(path), client.post(path, accept_data(domain="other.onmicrosoft.com"))):
        assert response.status_code == 400
        assert "This invitation was already accepted." in html(response)
    assert snapshot() == before


def test_public_page_without_the_mca(client, invitation):
    _row, path = invitation
    response = client.post(path, accept_data())
    assert response.status_code == 200 and "will confirm the Microsoft Customer Agreement" in html(response)
    assert Customer.objects.filter(domain="fabrikam.onmicrosoft.com").exists() and not Agreement.objects.exists()


def test_public_page_is_open_to_a_partner_session_without_mfa(client, invitation, make_user):
    _row, path = invitation
    client.force_login(make_user(Role.SALES_AGENT))  # signed in, second factor not passed
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("overrides,field,message", [
    ({"domain": "bad domain"}, "domain", "is not a valid domain name"),
    ({"email": "nope"}, "email", "Enter a valid email address."),
    ({"country": "FR", "state": ""}, "country", "a customer in France is outside it"),
    ({"company_name": ""}, "company_name", "This field is required."),
])
def test_public_page_bad_input_keeps_the_invitation(client, invitation, overrides, field, message):
    row, path = invitation
    before = snapshot()
    response = client.post(path, accept_data(**overrides))
    assert response.status_code == 400
    errors = field_errors(response)
    assert list(errors) == [field] and message in errors[field], errors
    assert snapshot() == before
    row.refresh_from_db()
    assert row.status == "pending"


def test_public_page_empty_submit_shows_every_error_at_once(client, invitation):
    row, path = invitation
    before = snapshot()
    response = client.post(path, {"country": "US"})  # what the browser sends: the market's country is chosen
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"company_name", "domain", "first_name", "last_name", "email", "address_line1", "city",
                           "state", "postal_code"}, errors
    assert errors["domain"] == "This field is required."  # said once, not again by the service
    assert "Choose the state or province" in errors["state"]
    assert "The postal code is required for an address in this country" in errors["postal_code"]
    assert snapshot() == before
    row.refresh_from_db()
    assert row.status == "pending"


def test_public_page_shows_field_address_and_domain_errors_in_one_submit(client, invitation, org):
    CustomerFactory(organisation=org, domain="taken.onmicrosoft.com")
    row, path = invitation
    before = snapshot()
    for overrides in ({"last_name": "", "phone_number": "call me"}, {}):  # with and without a field's own error
        response = client.post(path, accept_data(domain="taken.onmicrosoft.com", postal_code="ABCDE", **overrides))
        assert response.status_code == 400
        errors = field_errors(response)
        assert set(errors) == {"domain", "postal_code", *overrides}, errors
        assert "The domain taken.onmicrosoft.com is already taken." in errors["domain"]
        assert "ABCDE is not a valid postal code for this country" in errors["postal_code"]
        if overrides:
            assert errors["last_name"] == "This field is required."
            assert "with at least 6 digits" in errors["phone_number"]
    assert snapshot() == before
    row.refresh_from_db()
    assert row.status == "pending"


def test_public_page_of_a_former_customer_asks_only_the_contact(client, invitation, agent, actor_of, make_user):
    former = CustomerFactory(organisation=agent.organisation)
    services.relationship_remove(actor=actor_of(make_user(Role.GLOBAL_ADMIN)), customer=former)
    _row, url = services.relationship_request_create(actor=actor_of(agent), customer=former)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    before = snapshot()
    response = client.post(path, {"first_name": "", "last_name": "Admin", "email": "a@former.example.com",
                                  "phone_number": "call me", "accept_mca": "on"})
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"first_name", "phone_number"}, errors
    assert snapshot() == before


def test_tampered_and_unknown_links(client, invitation):
    _row, path = invitation
    for bad in (path[:-3] + "xx/", "/invitations/nonsense/"):
        response = client.get(bad)
        assert response.status_code == 400
        assert "This invitation link is not valid: it was changed or cut short." in html(response)
    response = client.post(path[:-3] + "xx/", accept_data())
    assert response.status_code == 400 and not Customer.objects.exists()


def test_expired_link(client, invitation):
    import time_machine

    _row, path = invitation
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client.get(path)
        assert response.status_code == 400 and "This invitation expired." in html(response)
        response = client.post(path, accept_data())
        assert response.status_code == 400
    assert not Customer.objects.exists()


def test_public_form_needs_csrf(invitation):
    from django.test import Client

    _row, path = invitation
    response = Client(enforce_csrf_checks=True).post(path, accept_data())
    assert response.status_code == 403 and not Customer.objects.exists()


def test_customer_list_page_queries_do_not_grow_with_the_rows(portal_client, make_user, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.tests.factories import CustomerFactory

    agent = make_user(Role.SALES_AGENT, email="counter@a.example.com")
    client = portal_client(agent)
    CustomerFactory.create_batch(3, organisation=agent.organisation)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/customers/").status_code == 200
    CustomerFactory.create_batch(40, organisation=agent.organisation)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/customers/")
    assert response.status_code == 200
