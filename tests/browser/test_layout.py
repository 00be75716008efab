"""Every main page fits a 1280 px wide window in English and in French, with long values in the data: a
64-character name without spaces, long e-mail addresses and domains wrap or are cut with their full text in a
tooltip; the navigation stays on one line."""

import pytest

from accounts.actors import system_actor
from accounts.choices import Role
from accounts.tests.factories import PASSWORD
from azureplan.models import AzurePlan
from azureplan.ordering import services as ordering_services
from azureplan.tests.factories import buyable_customer, legacy_estate, plan_line
from conftest import enrol
from customers.services import relationship_request_create
from customers.tests.factories import CustomerFactory

from .flows import screenshot, sign_in_with_mfa

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
LONG = "Contoso" + "X" * 57  # 64 characters, no space
LONG_DOMAIN = "contoso" + "x" * 50 + ".onmicrosoft.com"
LONG_EMAIL = "procurement.department." + "x" * 40 + "@contoso-international-holdings.example.com"
WIDTH = 1280


def _estate(org, user):
    system = system_actor(org)
    customer = buyable_customer(org, company_name=LONG, domain=LONG_DOMAIN, email=LONG_EMAIL,
                                billing_company_name=LONG, first_name="F" * 50, last_name="L" * 50,
                                address_line1="A" * 120, city="C" * 60)
    from datetime import date

    from agreements.services import agreement_attest
    for prefix in ("a", "b"):
        agreement_attest(actor=system, customer=customer, first_name="P" * 50, last_name="Q" * 50,
                         email=prefix + LONG_EMAIL, date_agreed=date(2024, 3, 4),
                         template_id="117a77b0-9360-443b-8795-c6dedc750cf9")
    for _ in range(3):
        relationship_request_create(actor=system, include_delegated_admin=True)
    cart = ordering_services.cart_create(actor=system, customer=customer, items=[plan_line()])
    (order,) = ordering_services.cart_checkout(actor=system, cart=cart)
    ordering_services.order_provision(order.pk)
    plan = AzurePlan.objects.get(order=order)
    sub = plan.azure_subscriptions.get()
    from azureplan.plans import services as plan_services

    plan_services.azure_subscription_rename(actor=system, sub=sub, name=LONG)
    legacy_customer = buyable_customer(org, company_name=LONG[:-1] + "Y", domain="y" + LONG_DOMAIN)
    legacy_estate(system, legacy_customer, 2, names=[LONG * 2, "Z" * 128])
    CustomerFactory(organisation=org, company_name=LONG[:-1] + "Z", domain="z" + LONG_DOMAIN)
    return customer, order, sub


def _pages(customer, order, sub, user):
    return ["/", "/customers/", f"/customers/{customer.tenant_id}/", "/customers/invitations/",
            f"/customers/{customer.tenant_id}/orders/", f"/customers/{customer.tenant_id}/orders/{order.public_id}/",
            f"/customers/azure-subscriptions/{sub.subscription_id}/", "/azure-plan/", "/azure-plan/legacy/",
            "/azure-plan/legacy/import/", "/settings/users/", f"/settings/users/{user.public_id}/", "/settings/audit/",
            "/settings/tokens/", "/settings/organisation/", "/settings/account/", "/settings/security/",
            f"/customers/{customer.tenant_id}/billing/"]


@pytest.mark.browser
@DB
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_fits_1280px_with_long_values(browser, live_server, make_user, make_org, language):
    from accounts.models import Country

    org = make_org(name="Exemple Distribution Internationale et Services Associés " + "W" * 40,
                   country=Country.objects.get(code="FR" if language == "fr" else "US"))
    user = make_user(*Role, organisation=org, email=LONG_EMAIL.replace("@", f".{language}@"), language=language,
                     first_name="Maximilienne-Alexandrine", last_name="de la Rochefoucauld-Montmorency")
    customer, order, sub = _estate(org, user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": 800},
                                  locale="en-GB", timezone_id="UTC")  # the user's language picks the pages' one
    page = context.new_page()
    try:
        sign_in_with_mfa(page, user.email, PASSWORD, enrol(user))
        too_wide, wrapped = [], []
        for path in _pages(customer, order, sub, user):
            response = page.goto(path)
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                too_wide.append((path, width, page.evaluate(_WIDEST)))
                screenshot(page, f"layout-too-wide-{language}-{len(too_wide)}")
            cut = page.evaluate(_CUT_TABLES)
            if cut:
                too_wide.append((path, "table cut", cut))
            tops = page.evaluate("[...document.querySelectorAll('#mainnav .navbar-nav > .nav-item')]"
                                 ".map(e => e.getBoundingClientRect().top)")
            if len(set(tops)) > 1:
                wrapped.append(path)
        assert not too_wide, "\n".join(map(str, too_wide))
        assert not wrapped, f"the navigation wraps onto two lines on {wrapped}"
        # A value cut short shows its full text on hover.
        page.goto("/customers/")
        assert page.locator(f'[title="{LONG}"]').count() >= 1
    finally:
        context.close()


# The element that sticks out furthest to the right, for the failure message.
_WIDEST = """(() => { const out = [];
  for (const e of document.querySelectorAll('body *')) { const r = e.getBoundingClientRect();
    if (r.right > 1281 && r.width > 0 && ![...e.children].some(c => c.getBoundingClientRect().right > 1281)) {
      out.push(`${e.tagName}.${e.className} ${Math.round(r.left)}-${Math.round(r.right)}px: `
               + e.textContent.trim().slice(0, 30)); } }
  return out.slice(0, 4).join(' | '); })()"""

# Tables that scroll sideways inside their card (cut at the card's edge): their text of the widest cell.
_CUT_TABLES = """[...document.querySelectorAll('.table-responsive')].filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => { let best = null, w = 0; for (const c of e.querySelectorAll('td, th')) {
    if (c.scrollWidth > w) { w = c.scrollWidth; best = c; } }
    return `${e.scrollWidth}>${e.clientWidth} widest cell ${w}px: ${best ? best.textContent.trim().slice(0, 40) : ''}`; })"""
