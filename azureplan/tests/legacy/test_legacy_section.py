"""azureplan.legacy.selectors.legacy_section: the rules of the customer page's "Legacy Azure" section (names too long
for an Azure subscription, who may rename, lines that failed on their name, progress) without HTTP."""

import pytest

from accounts.choices import Role
from azureplan.legacy import selectors as legacy_selectors
from azureplan.legacy import services as legacy_services
from azureplan.models import LegacySubscription

from ..factories import buyable_customer, legacy_estate

pytestmark = pytest.mark.django_db

LONG_NAME = "A legacy subscription whose friendly name is far too long for an Azure subscription"


@pytest.fixture
def ga_aa(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, email="ga-aa@a.example.com")


@pytest.fixture
def contoso(org):
    return buyable_customer(org, company_name="Contoso Ltd")


def test_no_section_without_legacy_subscriptions(ga_aa, actor_of, contoso):
    assert legacy_selectors.legacy_section(actor=actor_of(ga_aa), customer=contoso) is None


def test_a_name_too_long_is_counted_and_who_may_rename_it(ga_aa, make_user, actor_of, contoso):
    legacy_estate(actor_of(ga_aa), contoso, names=["Fine", LONG_NAME])
    section = legacy_selectors.legacy_section(actor=actor_of(ga_aa), customer=contoso)
    assert (section.too_long, section.active_count, section.has_reseller) == (1, 2, False)
    assert {s.friendly_name: (s.name_too_long, s.renamable) for s in section.subs} == {
        "Fine": (False, True), LONG_NAME: (True, True)}
    assert section.upgrade is None and section.lines == [] and not section.polling and not section.upgrade_open
    sales = make_user(Role.SALES_AGENT, email="sales@a.example.com")  # may transition, may not rename (import role)
    section = legacy_selectors.legacy_section(actor=actor_of(sales), customer=contoso)
    assert section.too_long == 1 and not any(s.renamable for s in section.subs)


def test_a_line_failed_on_its_name_moves_the_rename_beside_it_then_fits(ga_aa, actor_of, contoso,
                                                                       django_capture_on_commit_callbacks):
    actor = actor_of(ga_aa)
    legacy_estate(actor, contoso, names=["Fine", LONG_NAME])
    with django_capture_on_commit_callbacks(execute=True):
        legacy_services.upgrade_start(actor=actor, customer=contoso)
    section = legacy_selectors.legacy_section(actor=actor, customer=contoso)
    assert section.failed and section.upgrade_open and section.any_failed and not section.completed
    assert (section.upgrade.done_count, section.upgrade.percent) == (2, 100)
    failed = next(line for line in section.lines if line.status == "failed")
    assert failed.needs_rename and not failed.name_fits_now
    long_sub = next(s for s in section.subs if s.friendly_name == LONG_NAME)
    # Its rename form is beside the failed line, so its row neither repeats the warning nor the form.
    assert (long_sub.name_too_long, long_sub.renamable) == (False, False) and section.too_long == 0
    legacy_services.legacy_rename(actor=actor, legacy=LegacySubscription.objects.get(friendly_name=LONG_NAME),
                                  name="Contoso analytics")
    section = legacy_selectors.legacy_section(actor=actor, customer=contoso)
    failed = next(line for line in section.lines if line.status == "failed")
    assert failed.needs_rename and failed.name_fits_now
