"""manage.py simulate_usage (billing/usage/simulate.py): the demo's living month."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.choices import Tier
from azureplan.choices import PrincipalType
from azureplan.models import AzureSubscription, RoleAssignment
from billing.models import UsageRecord
from billing.usage import simulate
from core.models import AuditEvent
from customers.tests.factories import CustomerFactory

from .factories_usagedata import demo_consumption_lists, plan_created_on

pytestmark = [pytest.mark.django_db]
TODAY = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def estate(make_org):
    """A direct-bill partner with the demo's PEC-losing customer (fabrikam, Production + Development since Oct 31st)
    and one more customer whose subscription was cancelled on Nov 20th; the demo's US lists and rates."""
    org = make_org(name="Sim Direct", tier=Tier.DIRECT_BILL, partner_id="4100991")
    fabrikam = CustomerFactory(organisation=org, domain="fabrikam-example.onmicrosoft.com", country_id="US")
    other = CustomerFactory(organisation=org, domain="other-example.onmicrosoft.com", country_id="US")
    plan_created_on(fabrikam, ("Production", "Development"))
    gone = plan_created_on(other, ("Old",))
    AzureSubscription.objects.filter(plan=gone).update(status="inactive",
                                                       cancelled_at=datetime(2026, 11, 20, 10, tzinfo=UTC))
    demo_consumption_lists()
    return org


def _lines(path):
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_out_writes_last_month_and_this_month_to_date_and_changes_nothing(estate, tmp_path):
    out = io.StringIO()
    call_command("simulate_usage", "--organisation", "4100991", "--out", str(tmp_path), stdout=out)
    [path] = tmp_path.iterdir()
    assert path.name == "daily-rated-usage-4100991-20261101-20261205.csv"
    lines = _lines(path)
    assert f"Sim Direct: {len(lines)} lines written to {path}" in out.getvalue()
    by_sub = {}
    for line in lines:
        by_sub.setdefault(line["EntitlementDescription"], set()).add(line["UsageDate"])
    assert set(by_sub) == {"Production", "Development", "Old"}
    assert "11/1/2026" in by_sub["Production"] and "12/5/2026" in by_sub["Production"]
    assert "12/6/2026" not in by_sub["Production"]  # today's usage arrives tomorrow
    assert max(by_sub["Old"], key=_day) == "11/19/2026"  # cancelled on the 20th
    assert {line["PartnerId"] for line in lines} == {str(estate.tenant_id)}
    assert {line["MPNID"] for line in lines} == {"4100991"}
    assert UsageRecord.objects.count() == 0
    assert not RoleAssignment.objects.filter(removed_at__isnull=False).exists()


def test_days_narrows_the_window_and_the_same_days_give_the_same_lines(estate, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    call_command("simulate_usage", "--organisation", "4100991", "--days", "3", "--out", str(tmp_path / "a"),
                 stdout=io.StringIO())
    call_command("simulate_usage", "--organisation", "4100991", "--out", str(tmp_path / "b"), stdout=io.StringIO())
    [short] = (tmp_path / "a").iterdir()
    [whole] = (tmp_path / "b").iterdir()
    short_lines = _lines(short)
    assert {line["UsageDate"] for line in short_lines} == {"12/3/2026", "12/4/2026", "12/5/2026"}
    assert short_lines == [line for line in _lines(whole) if line["UsageDate"] in {"12/3/2026", "12/4/2026",
                                                                                     "12/5/2026"}]


def test_the_owner_is_removed_once_mid_month_through_the_audited_service(estate):
    sub = AzureSubscription.objects.get(friendly_name="Development")
    assert simulate.remove_owner_mid_month(date(2026, 12, 6)).endswith("on 2026-11-15 12:00 UTC.")
    owner = RoleAssignment.objects.get(azure_subscription=sub, principal_type=PrincipalType.PARTNER_ADMIN_AGENTS)
    assert owner.removed_at == datetime(2026, 11, 15, 12, tzinfo=UTC)
    assert "already removed" in simulate.remove_owner_mid_month(date(2026, 12, 6))
    event = AuditEvent.objects.get(action="role_assignment.removed")
    assert event.data["removedAt"] == "2026-11-15T12:00:00+00:00" and event.actor_label.startswith("demo usage generator")
    production = AzureSubscription.objects.get(friendly_name="Production")
    assert RoleAssignment.objects.get(azure_subscription=production).removed_at is None


def test_past_the_15th_the_removal_is_this_months(estate):
    with time_machine.travel(datetime(2026, 12, 20, 9, tzinfo=UTC), tick=False):
        simulate.remove_owner_mid_month(date(2026, 12, 20))
    assert RoleAssignment.objects.get(removed_at__isnull=False).removed_at == datetime(2026, 12, 15, 12, tzinfo=UTC)


def test_refusals(estate, make_org, tmp_path):
    with pytest.raises(CommandError, match="No direct-bill partner or indirect provider with PartnerID 999"):
        call_command("simulate_usage", "--organisation", "999", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="--days is 1 or more"):
        call_command("simulate_usage", "--organisation", "4100991", "--days", "0", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="No Azure plan consumption price list of market US prices every month "
                                           "from 2026-09 to 2026-12"):
        call_command("simulate_usage", "--organisation", "4100991", "--days", "70", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="No organisation to simulate"):
        call_command("simulate_usage", "--out", str(tmp_path))  # no demo organisation here
    assert not list(tmp_path.iterdir())


def _day(text):
    month, day, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


def test_a_removal_recorded_afterwards_is_neither_in_the_future_nor_before_the_grant(estate):
    from accounts.actors import system_actor
    from azureplan.plans.services import role_assignment_remove
    from core.errors import InvalidInput

    owner = RoleAssignment.objects.filter(azure_subscription__friendly_name="Production").get()
    actor = system_actor(estate)
    with pytest.raises(InvalidInput, match="in the future"):
        role_assignment_remove(actor=actor, assignment=owner, removed_at=datetime(2026, 12, 7, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="before it was granted"):
        role_assignment_remove(actor=actor, assignment=owner, removed_at=datetime(2026, 10, 30, tzinfo=UTC))
    owner.refresh_from_db()
    assert owner.removed_at is None and not AuditEvent.objects.filter(action="role_assignment.removed").exists()


def test_the_command_imports_the_usage_and_a_second_run_adds_nothing(estate):
    out = io.StringIO()
    call_command("simulate_usage", "--organisation", "4100991", stdout=out)
    stored = UsageRecord.objects.filter(organisation_id=estate.pk)
    count = stored.count()
    assert count > 500 and f"{count} added" in out.getvalue()
    assert set(stored.values_list("azure_subscription__friendly_name", flat=True)) == {"Production", "Development",
                                                                                      "Old"}
    assert stored.filter(meter_name__icontains="Spot").exists()
    assert stored.filter(publisher_name="Microsoft", meter_category="Virtual Machine Licenses").exists()
    assert "removed the Owner assignment on 2026-11-15 12:00 UTC" in out.getvalue()
    again = io.StringIO()
    call_command("simulate_usage", "--organisation", "4100991", stdout=again)
    assert stored.count() == count and f"0 added, 0 replaced, {count} unchanged" in again.getvalue()
    assert "already removed" in again.getvalue()
    assert AuditEvent.objects.filter(action="role_assignment.removed").count() == 1
