"""accounts.selectors.market_countries and reseller_list, and accounts.forms.reseller_choices: the one copy the
customer, catalog and Azure plan pages use."""

import pytest
from django.utils import translation

from accounts import selectors
from accounts.choices import Tier
from accounts.forms import reseller_choices
from accounts.models import Country
from accounts.selectors import collation_key

pytestmark = pytest.mark.django_db


def test_market_countries_are_the_region_sorted_by_the_languages_collation(make_org):
    germany = make_org(country=Country.objects.get(code="DE"))
    expected = set(Country.objects.filter(region_id=germany.country.region_id).values_list("code", flat=True))
    for language in ("en", "fr"):
        with translation.override(language):
            countries = selectors.market_countries(organisation=germany)
            names = [c.localized_name for c in countries]
            assert {c.code for c in countries} == expected and names == sorted(names, key=collation_key)
    assert "US" not in expected and "DE" in expected
    with translation.override("en"):
        english = [c.code for c in selectors.market_countries(organisation=germany)]
    with translation.override("fr"):
        french = [c.code for c in selectors.market_countries(organisation=germany)]
    assert english != french  # e.g. Germany sorts under G in English, Allemagne under A in French


def test_reseller_list_is_a_providers_resellers_by_name(make_org):
    provider = make_org(tier=Tier.INDIRECT_PROVIDER)
    zeta = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, name="Zeta Resale")
    alpha = make_org(tier=Tier.INDIRECT_RESELLER, provider=provider, name="Alpha Resale")
    make_org(tier=Tier.INDIRECT_RESELLER, provider=make_org(tier=Tier.INDIRECT_PROVIDER), name="Another's")
    assert selectors.reseller_list(organisation=provider) == [alpha, zeta]
    assert selectors.reseller_list(organisation=make_org(tier=Tier.DIRECT_BILL)) == []
    assert selectors.reseller_list(organisation=alpha) == []

    assert reseller_choices([alpha, zeta], empty_label="None") == [
        ("", "None"), (alpha.partner_id, f"Alpha Resale ({alpha.partner_id})"),
        (zeta.partner_id, f"Zeta Resale ({zeta.partner_id})")]
