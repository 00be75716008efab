"""PEC decided per day (billing.rating.pec): the multi-partner matrix of domain.md §3.5.8, whole days, resource
groups, and what a changed decision does to rated usage."""

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from accounts.choices import Tier
from accounts.models import Country
from accounts.tests.factories import OrganisationFactory
from azureplan.choices import PrincipalType
from azureplan.tests.factories import RoleAssignmentFactory
from billing.models import PecDay, UsageRecord
from billing.rating.pec import pec_decide, pec_decisions
from billing.rating.services import rate_usage

from .factories_rating import LONG_AGO, add_usage, meter, price_list, world

pytestmark = pytest.mark.django_db

AUG = date(2026, 8, 1)
DAY = date(2026, 8, 10)


def _holders():
    fr = Country.objects.get(code="FR")
    mpn1 = OrganisationFactory(tier=Tier.INDIRECT_PROVIDER, country=fr)
    mpn2 = OrganisationFactory(tier=Tier.INDIRECT_RESELLER, provider=mpn1, country=fr)
    mpn3 = OrganisationFactory(tier=Tier.INDIRECT_PROVIDER, country=fr)
    return mpn1, mpn2, mpn3


def _grant(sub, partner, *, role="Contributor", rg="", granted_at=LONG_AGO, removed_at=None):
    return RoleAssignmentFactory(azure_subscription=sub, partner=partner, role=role, resource_group=rg,
                                 principal_type=PrincipalType.OTHER_PARTNER, granted_at=granted_at,
                                 removed_at=removed_at)


def _day(sub, day=DAY, rg=""):
    return PecDay.objects.get(azure_subscription=sub, day=day, resource_group=rg)


@pytest.mark.parametrize("holders", [c for n in range(4) for c in itertools.combinations(("MPN1", "MPN2", "MPN3"), n)],
                         ids=lambda c: "+".join(c) or "nobody")
def test_the_multi_partner_matrix(holders):
    """MPN1 = the transacting indirect provider, MPN2 = its reseller of record, MPN3 = an unrelated partner: PEC
    whenever MPN1 or MPN2 holds a PEC-eligible role, whatever MPN3 holds; none when only MPN3 or nobody does."""
    mpn1, mpn2, mpn3 = _holders()
    w = world(organisation=mpn1, reseller=mpn2, aobo=False)
    partners = {"MPN1": mpn1, "MPN2": mpn2, "MPN3": mpn3}
    for name in holders:
        _grant(w.sub, partners[name], role="Owner" if name == "MPN3" else "Contributor")
    pec_decide(organisation_id=mpn1.pk, first_day=AUG, last_day=date(2026, 8, 31))
    decided = _day(w.sub)
    expected = "MPN1" in holders or "MPN2" in holders
    assert decided.eligible is expected
    assert decided.percentage == (15 if expected else 0)
    if "MPN1" in holders:
        assert (decided.reason, decided.holder_organisation_id, decided.role) == ("role_held", mpn1.pk, "Contributor")
    elif "MPN2" in holders:
        assert (decided.reason, decided.holder_organisation_id) == ("reseller_role_held", mpn2.pk)
    elif "MPN3" in holders:
        assert decided.reason == "other_partner" and decided.holder_organisation_id is None
    else:
        assert decided.reason == "no_role"
    assert PecDay.objects.filter(azure_subscription=w.sub).count() == 31


def test_a_read_only_role_earns_nothing():
    w = world(aobo=False)
    _grant(w.sub, w.organisation, role="Reader")
    pec_decide(organisation_id=w.organisation.pk, first_day=DAY, last_day=DAY)
    assert (_day(w.sub).eligible, _day(w.sub).reason) == (False, "no_role")


def test_whole_days_only_granted_or_removed_mid_day():
    w = world(aobo=False)
    _grant(w.sub, w.organisation, granted_at=datetime(2026, 8, 5, 9, tzinfo=UTC),
           removed_at=datetime(2026, 8, 10, 0, 0, 1, tzinfo=UTC))
    pec_decide(organisation_id=w.organisation.pk, first_day=date(2026, 8, 4), last_day=date(2026, 8, 11))
    days = {d.day.day: (d.eligible, d.reason) for d in PecDay.objects.filter(azure_subscription=w.sub)}
    assert days == {4: (False, "no_role"), 5: (False, "part_of_day"), 6: (True, "role_held"),
                    7: (True, "role_held"), 8: (True, "role_held"), 9: (True, "role_held"),
                    10: (False, "part_of_day"), 11: (False, "no_role")}


def test_a_day_covered_by_two_assignments_one_after_the_other_is_eligible():
    """The partner's Owner removed at 10:00, its reseller's Contributor granted at 09:00: together all day."""
    mpn1, mpn2, _mpn3 = _holders()
    w = world(organisation=mpn1, reseller=mpn2, aobo=False)
    _grant(w.sub, mpn1, role="Owner", removed_at=datetime(2026, 8, 10, 10, tzinfo=UTC))
    _grant(w.sub, mpn2, granted_at=datetime(2026, 8, 10, 9, tzinfo=UTC))
    pec_decide(organisation_id=mpn1.pk, first_day=DAY, last_day=date(2026, 8, 11))
    assert (_day(w.sub).eligible, _day(w.sub).reason, _day(w.sub).holder_organisation_id) == (
        True, "role_held", mpn1.pk)
    assert (_day(w.sub, date(2026, 8, 11)).reason, _day(w.sub, date(2026, 8, 11)).holder_organisation_id) == (
        "reseller_role_held", mpn2.pk)


def test_a_resource_groups_own_assignment_earns_pec_for_its_resources_only():
    w = world(aobo=False)
    _grant(w.sub, w.organisation, rg="RG-App")
    meter(price_list(), price="1")
    inside = add_usage(w.sub, DAY, "10", resource_group="rg-app")
    outside = add_usage(w.sub, DAY, "10", resource_group="rg-data", resource_uri="/other")
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert _day(w.sub, rg="rg-app").eligible and not _day(w.sub).eligible
    inside.refresh_from_db()
    outside.refresh_from_db()
    assert (inside.pec_percentage, outside.pec_percentage) == (15, 0)


def test_an_inactive_subscription_has_no_pec():
    w = world()
    w.sub.created_at = datetime(2026, 8, 10, 12, tzinfo=UTC)
    w.sub.save(update_fields=["created_at"])
    pec_decide(organisation_id=w.organisation.pk, first_day=date(2026, 8, 9), last_day=date(2026, 8, 11))
    assert [(d.day.day, d.reason) for d in PecDay.objects.filter(azure_subscription=w.sub)] == [
        (9, "subscription_inactive"), (10, "role_held"), (11, "role_held")]


def test_deciding_again_writes_nothing_and_a_changed_role_rerates_those_days():
    w = world()
    meter(price_list(), price="1")
    add_usage(w.sub, DAY, "10")
    add_usage(w.sub, date(2026, 8, 20), "10")
    rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert pec_decide(organisation_id=w.organisation.pk, first_day=AUG, last_day=date(2026, 8, 31)) == 0
    assert sum(r.pricing_pre_tax_total for r in UsageRecord.objects.all()) == Decimal("17.00")
    # The customer removed the partner's Owner on the 15th: from then on no PEC, and those days' usage is re-rated.
    w.sub.role_assignments.update(removed_at=datetime(2026, 8, 15, 8, tzinfo=UTC))
    result = rate_usage(organisation_id=w.organisation.pk, months=[AUG])
    assert result["months"][0]["pec_days_written"] == 17  # the 15th to the 31st
    assert result["rows_rated"] == 1
    assert [r.pec_percentage for r in UsageRecord.objects.order_by("usage_date")] == [15, 0]


def test_decisions_without_writing_match_the_written_ones():
    w = world()
    shown = pec_decisions(organisation_id=w.organisation.pk, azure_subscription_id=w.sub.pk, first_day=AUG,
                          last_day=date(2026, 8, 3))
    assert not PecDay.objects.exists()
    pec_decide(organisation_id=w.organisation.pk, first_day=AUG, last_day=date(2026, 8, 3))
    stored = list(PecDay.objects.values("day", "eligible", "reason", "resource_group"))
    assert [{k: d[k] for k in ("day", "eligible", "reason", "resource_group")} for d in shown] == stored
