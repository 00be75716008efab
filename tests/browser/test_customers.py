"""Customers: a Sales agent adds a customer (a bad domain and culture are refused beside their fields), invites
another one, which accepts the reseller relationship from the link without signing in (every error of a submit
shown at once); the agent then attests the Microsoft Customer Agreement (a phone number that is none is refused
beside its field), and attesting the same contact again is refused (600061)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from agreements.models import Agreement
from conftest import enrol
from core.models import AuditEvent
from customers.models import Customer, RelationshipRequest

from .flows import field_error, form_error, screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.mark.browser
@DB
def test_sales_agent_adds_invites_and_attests(new_page, make_user):
    agent = make_user(Role.SALES_AGENT, email="sam@a.example.com", first_name="Sam", last_name="Seller")
    page = new_page()
    sign_in_with_mfa(page, agent.email, PASSWORD, enrol(agent))

    # The Customers workspace, empty.
    page.get_by_role("navigation", name="Main navigation").locator("[data-workspace=customers]").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    expect(page.get_by_text("No customers yet.")).to_be_visible()

    # Add a customer: a bad domain first.
    page.get_by_role("link", name="Add customer").click()
    expect(page).to_have_url(re.compile(r"/customers/new/$"))
    page.get_by_label("Company name").fill("Contoso Ltd")
    page.get_by_label("Domain", exact=True).fill("contoso onmicrosoft")
    page.get_by_label("First name").fill("Jo")
    page.get_by_label("Last name").fill("Buyer")
    page.get_by_label("E-mail").fill("jo@contoso.example.com")
    page.get_by_label("Address line 1").fill("1 Microsoft Way")
    page.get_by_label("City").fill("Redmond")
    page.get_by_label("State or province").fill("WA")
    page.get_by_label("Postal code").fill("98052")
    page.get_by_label("Culture").fill("xx")
    expect(page.get_by_label("Country")).to_have_value("US")
    page.get_by_role("button", name="Add customer").click()
    expect(field_error(page, "domain")).to_contain_text("contoso onmicrosoft is not a valid domain name")
    expect(field_error(page, "culture")).to_have_text(
        "xx is not a culture: write a language and a country, such as en-US or fr-FR.")
    expect(page.get_by_label("Company name")).to_have_value("Contoso Ltd")  # the input is kept
    screenshot(page, "flow-customer-create-errors")
    assert not Customer.objects.exists()

    page.get_by_label("Domain", exact=True).fill("contoso.onmicrosoft.com")
    page.get_by_label("Culture").fill("en-US")
    page.get_by_role("button", name="Add customer").click()
    expect(page).to_have_url(re.compile(rf"/customers/{UUID}/$"))
    expect(page.get_by_role("alert")).to_contain_text("Contoso Ltd was added.")
    expect(page.get_by_test_id("new-credentials")).to_contain_text("admin@contoso.onmicrosoft.com")
    expect(page.get_by_test_id("mca-status").first).to_have_text("MCA missing")
    screenshot(page, "flow-customer-created")
    contoso = Customer.objects.get(domain="contoso.onmicrosoft.com")
    assert contoso.created_by_id == agent.pk and contoso.organisation_id == agent.organisation_id

    # Request a reseller relationship with delegated admin privileges.
    page.get_by_role("link", name="Customers", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator("[data-customer-row='contoso.onmicrosoft.com']")).to_contain_text("MCA missing")
    page.get_by_role("link", name="Request a reseller relationship").click()
    expect(page).to_have_url(re.compile(r"/customers/invitations/$"))
    page.get_by_label("Include delegated administration privileges").check()
    page.get_by_role("button", name="Generate the invitation link").click()
    expect(page).to_have_url(re.compile(r"/customers/invitations/$"))
    link = page.get_by_test_id("invitation-url").inner_text().strip()
    path = re.search(r"/invitations/[^/\s]+/$", link).group(0)
    expect(page.get_by_test_id("invitations").get_by_role("row").nth(1)).to_contain_text("Waiting for the customer")
    page.get_by_text("A suggested e-mail to the customer").click()
    expect(page.locator("#invitation-email")).to_contain_text(link)
    screenshot(page, "flow-invitation-generated")
    assert RelationshipRequest.objects.get().include_delegated_admin

    # The customer's global admin opens the link in a browser of its own, not signed in.
    customer_page = new_page()
    response = customer_page.goto(path)
    assert response.status == 200
    expect(customer_page.get_by_role("heading", level=1)).to_have_text("Partner A asks to become your Microsoft reseller")
    expect(customer_page.get_by_test_id("grants")).to_contain_text("A reseller relationship")
    expect(customer_page.get_by_test_id("grants-dap")).to_contain_text("Delegated administration privileges")
    # An empty submit says everything at once: the required fields and the address of the country.
    accept = customer_page.get_by_role("button", name="Accept Partner A as reseller")
    accept.click()
    for name in ("company_name", "domain", "first_name", "last_name", "email", "address_line1", "city"):
        expect(field_error(customer_page, name)).to_have_text("This field is required.")
    expect(field_error(customer_page, "state")).to_contain_text("Choose the state or province")
    expect(field_error(customer_page, "postal_code")).to_contain_text("The postal code is required")
    # A taken domain, a bad postal code and a missing last name: one submit, three messages.
    customer_page.get_by_label("Company name").fill("Fabrikam Inc")
    customer_page.get_by_label("Domain", exact=True).fill("contoso.onmicrosoft.com")
    customer_page.get_by_label("First name").fill("Gail")
    customer_page.get_by_label("E-mail").fill("gail@fabrikam.example.com")
    customer_page.get_by_label("Phone number").fill("+1 206 555 0100")
    customer_page.get_by_label("City").fill("Seattle")
    customer_page.get_by_label("Address line 1").fill("2 Pike Street")
    customer_page.get_by_label("State or province").fill("WA")
    customer_page.get_by_label("Postal code").fill("ABCDE")
    accept.click()
    expect(field_error(customer_page, "domain")).to_contain_text("The domain contoso.onmicrosoft.com is already taken.")
    expect(field_error(customer_page, "postal_code")).to_contain_text("ABCDE is not a valid postal code")
    expect(field_error(customer_page, "last_name")).to_have_text("This field is required.")
    expect(customer_page.locator("[data-field-error]")).to_have_count(3)
    screenshot(customer_page, "flow-invitation-errors")
    assert RelationshipRequest.objects.get().status == "pending"
    customer_page.get_by_label("Domain", exact=True).fill("fabrikam.onmicrosoft.com")
    customer_page.get_by_label("Last name").fill("Admin")
    customer_page.get_by_label("Postal code").fill("98101")
    screenshot(customer_page, "flow-invitation-public")
    customer_page.get_by_role("button", name="Accept Partner A as reseller").click()
    expect(customer_page.get_by_role("heading", level=1)).to_have_text("Invitation accepted")
    expect(customer_page.get_by_text("Partner A is now the reseller of Fabrikam Inc.")).to_be_visible()
    screenshot(customer_page, "flow-invitation-accepted")
    assert [e for e in customer_page.console_errors if "status of 400" not in e] == []
    response = customer_page.goto(path)
    assert response.status == 400
    expect(customer_page.get_by_test_id("invitation-invalid-reason")).to_have_text(
        "This invitation was already accepted. Ask your partner for a new one if needed.")
    fabrikam = Customer.objects.get(domain="fabrikam.onmicrosoft.com")
    assert fabrikam.organisation_id == agent.organisation_id and fabrikam.allow_delegated_access
    assert not Agreement.objects.exists()

    # The agent sees the accepted invitation and the new customer.
    page.reload()
    expect(page.get_by_test_id("invitations").get_by_role("row").nth(1)).to_contain_text("Accepted")
    page.get_by_role("link", name="Fabrikam Inc").click()
    expect(page).to_have_url(re.compile(rf"/customers/{fabrikam.tenant_id}/$"))
    expect(page.get_by_test_id("delegated-admin")).to_have_text("Yes")
    expect(page.get_by_test_id("activity")).to_contain_text("Customer accepted the reseller relationship invitation")

    # Attest the Microsoft Customer Agreement: the form holds the billing contact and today.
    form = page.get_by_test_id("attest-form")
    expect(form.get_by_label("First name")).to_have_value("Gail")
    expect(form.get_by_label("E-mail")).to_have_value("gail@fabrikam.example.com")
    expect(form.get_by_label("Phone number")).to_have_value("+1 206 555 0100")
    # A phone number that is none: refused beside the field, nothing recorded.
    form.get_by_label("Phone number").fill("call me maybe")
    form.get_by_role("button", name="Attest").click()
    expect(field_error(page, "phone_number")).to_have_text(
        "The phone number may contain digits, spaces and + ( ) . / - only, with at least 6 digits.")
    assert not Agreement.objects.exists()
    form = page.get_by_test_id("attest-form")
    form.get_by_label("Phone number").fill("+1 206 555 0100")
    form.get_by_role("button", name="Attest").click()
    expect(page.get_by_role("alert")).to_contain_text("The Microsoft Customer Agreement is attested for Fabrikam Inc.")
    expect(page.get_by_test_id("mca-status").first).to_have_text("MCA confirmed")
    expect(page.get_by_test_id("agreements")).to_contain_text("Gail Admin")
    expect(page.get_by_test_id("agreements")).to_contain_text("Attested by the partner")
    screenshot(page, "flow-customer-attested")
    agreement = Agreement.objects.get()
    assert agreement.customer_id == fabrikam.pk and agreement.attested_by_id == agent.pk

    # The same contact again: 600061, shown on the page, nothing recorded.
    expect(page.get_by_test_id("attest-form")).to_be_hidden()  # folded once the agreement is confirmed
    page.get_by_text("Attest again with another contact").click()
    page.get_by_test_id("attest-form").get_by_role("button", name="Attest").click()
    expect(form_error(page)).to_contain_text("A partner confirmed agreement already exists for the customer.")
    screenshot(page, "flow-customer-attest-duplicate")
    assert Agreement.objects.count() == 1
    assert AuditEvent.objects.filter(action="agreement.attested").count() == 1

    # The list: both customers, with their agreement status; and the billing profile page.
    page.goto("/customers/")
    expect(page.locator("[data-customer-row='fabrikam.onmicrosoft.com']")).to_contain_text("MCA confirmed")
    expect(page.locator("[data-customer-row='contoso.onmicrosoft.com']")).to_contain_text("MCA missing")
    screenshot(page, "flow-customer-list")
    page.goto(f"/customers/{contoso.tenant_id}/billing/")
    expect(page.get_by_label("City")).to_have_value("Redmond")
    screenshot(page, "flow-customer-billing")
    # No console error but the 400 answers of the refused forms (no CSP violation, no broken script).
    assert [e for e in page.console_errors if "status of 400" not in e] == []
