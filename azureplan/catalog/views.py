"""The Azure plan workspace: the catalog a Sales agent browses, where the Azure plan is sold, and the
comparison of the legacy Azure offer with the Azure plan. Same selectors as the API; read-only pages
for the roles of Perm.VIEW_AZURE_PLAN (Global admin, Admin agent, Sales agent)."""

import re
from itertools import groupby

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import selectors as account_selectors
from accounts.permissions import Perm
from accounts.views.portal import portal_page

from ..choices import (
    AZURE_PLAN_PRODUCT_ID,
    AZURE_PLAN_SKU_ID,
    LEGACY_AZURE_PRODUCT_ID,
    BillingCycle,
    PurchasePrerequisite,
)
from . import selectors


def _labels(values, choices):
    known = dict(choices.choices)
    return [known.get(value, value) for value in values]


OFFER_ID = re.compile(r"\bMS-AZR-\w+")


def _describe(sku):
    """Human labels for a SKU's billing cycles and prerequisites (the page shows words, not wire values), and
    the Azure offer id (MS-AZR-0145P is the legacy SKU's id; the Azure plan's, MS-AZR-0017G, is in its description)."""
    sku.billing_labels = _labels(sku.supported_billing_cycles, BillingCycle)
    sku.prerequisite_labels = _labels(sku.purchase_prerequisites, PurchasePrerequisite)
    found = OFFER_ID.search(f"{sku.sku_id} {sku.description}")
    sku.offer_id = found.group(0) if found else ""
    return sku


@require_GET
@portal_page(Perm.VIEW_AZURE_PLAN)
def catalog(request):
    organisation = account_selectors.organisation_get(actor=request.actor)
    countries = account_selectors.market_countries(organisation=organisation)
    codes = {c.code: c for c in countries}
    asked = request.GET.get("country", "").strip().upper()[:2]
    country = codes.get(asked) or codes.get(organisation.country_id) or organisation.country
    outside = bool(asked) and asked not in codes
    products = selectors.catalog_for_country(actor=request.actor, country=country)
    for product in products:
        for sku in product.sold_skus:
            _describe(sku)
    return render(request, "azureplan/catalog.html", {
        "organisation": organisation, "countries": countries, "country": country, "products": products,
        "outside": outside, "asked": asked, "azure_plan_id": AZURE_PLAN_PRODUCT_ID,
        "legacy_id": LEGACY_AZURE_PRODUCT_ID, "tab": "catalog",
    })


@require_GET
@portal_page(Perm.VIEW_AZURE_PLAN)
def catalog_availability(request):
    organisation = account_selectors.organisation_get(actor=request.actor)
    q = request.GET.get("q", "").strip()[:60]
    rows = selectors.azure_plan_availability(actor=request.actor, search=q)
    groups = [(region, list(items)) for region, items in groupby(rows, key=lambda a: a.country.region)]
    # The partner's own market first: that is where its customers are.
    groups.sort(key=lambda group: group[0].code != organisation.country.region_id)
    total = len(rows) if not q else selectors.azure_plan_country_count()
    return render(request, "azureplan/availability.html", {
        "organisation": organisation, "groups": groups, "q": q, "found": len(rows), "total": total,
        "not_sold": selectors.countries_without_azure_plan(), "item_prefix": f"{AZURE_PLAN_PRODUCT_ID}:{AZURE_PLAN_SKU_ID}:",
        "tab": "availability",
    })


@require_GET
@portal_page(Perm.VIEW_AZURE_PLAN)
def catalog_compare(request):
    legacy, plan = selectors.compared_skus(actor=request.actor)
    facts = []
    if legacy and plan:
        _describe(legacy)
        _describe(plan)
        yes, no = _("Yes"), _("No: customers who have it move to the Azure plan with a transition")
        facts = [
            (_("Product and SKU in the catalog"), f"{legacy.product_id} · {legacy.sku_id}",
             f"{plan.product_id} · {plan.sku_id}"),
            (_("Billing cycle in the catalog"), ", ".join(map(str, legacy.billing_labels)), _billing(plan)),
            (_("Agreement the customer needs"), ", ".join(map(str, legacy.prerequisite_labels)),
             ", ".join(map(str, plan.prerequisite_labels))),
            (_("Quantity per order"), _quantity(legacy), _quantity(plan)),
            (_("Can be bought"), yes if legacy.purchasable else no, yes if plan.purchasable else no),
        ]
    return render(request, "azureplan/compare.html", {
        "legacy": legacy, "plan": plan, "facts": facts, "rows": selectors.offer_comparison(actor=request.actor),
        "tab": "compare",
    })


def _billing(sku):
    text = ", ".join(map(str, sku.billing_labels))
    if sku.supported_billing_cycles == [BillingCycle.ONE_TIME] and sku.product_id == AZURE_PLAN_PRODUCT_ID:
        return _("%(cycle)s: the plan itself costs nothing; the usage under it is billed every calendar month") % {
            "cycle": text}
    return text


def _quantity(sku):
    if sku.minimum_quantity == sku.maximum_quantity:
        return str(sku.minimum_quantity)
    return _("%(min)s to %(max)s") % {"min": sku.minimum_quantity, "max": sku.maximum_quantity}
