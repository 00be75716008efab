"""Legacy Azure import, eligibility and transitions through the services (domain.md §2.9). Tasks run eagerly at
commit (django_capture_on_commit_callbacks(execute=True)); the real-worker runs are in tests/test_transition_worker.py."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.choices import Role, Tier
from azureplan import errors
from azureplan.legacy import importer as legacy_importer
from azureplan.legacy import services as legacy_services
from azureplan.legacy import transition as legacy_transition
from azureplan.models import (
    AzurePlan,
    AzureSubscription,
    LegacyImport,
    LegacySubscription,
    Order,
    ProductUpgrade,
    RoleAssignment,
)
from azureplan.ordering import services as ordering_services
from azureplan.plans.services import admin_agents_principal
from azureplan.tests.factories import buyable_customer, legacy_csv, legacy_estate, plan_line
from core.errors import PartnerCenterError
from core.models import AuditEvent, Job
from customers.tests.factories import CustomerFactory


@pytest.fixture
def admin(make_user):
    return make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT)


@pytest.fixture
def actor(admin):
    return actor_for_user(admin, request_id="req-1")


@pytest.fixture
def customer(admin):
    return buyable_customer(admin.organisation)


def _errors(exc):
    return {(e["line"], e["field"]) for e in exc.value.data}


# ---------------------------------------------------------------- import


def test_import_creates_legacy_subscriptions_with_ids_names_and_default_aobo(actor, customer, admin):
    sub_id = uuid.uuid4()
    result = legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, sub_id, "Production", "",
                                                                             "2018-03-04")]),
                              file_name="estate.csv")
    assert (result.added, result.already_present, result.repeated) == (1, 0, False)
    legacy = LegacySubscription.objects.get(public_id=sub_id)
    assert legacy.entitlement_id == sub_id and legacy.friendly_name == "Production" and legacy.status == "active"
    assert legacy.created_date.date().isoformat() == "2018-03-04"
    assert legacy.role_assignments == [{"principal_type": "partner_admin_agents",
                                        "principal_id": admin_agents_principal(admin.organisation)[0],
                                        "principal_name": f"Foreign Principal for '{admin.organisation.name}'",
                                        "role": "Owner", "partner_id": admin.organisation.pk}]
    assert AuditEvent.objects.filter(action="legacy_subscriptions.imported", request_id="req-1").count() == 1


def test_the_same_file_twice_adds_nothing_and_rows_already_there_are_left_alone(actor, customer):
    content = legacy_csv([(customer, uuid.uuid4(), "A"), (customer, uuid.uuid4(), "B")])
    first = legacy_importer.legacy_import(actor=actor, content=content)
    again = legacy_importer.legacy_import(actor=actor, content=content)
    assert again.repeated and again.legacy_import.pk == first.legacy_import.pk and again.added == 0
    assert LegacySubscription.objects.count() == 2 and LegacyImport.objects.count() == 1
    # Another file repeating one of the rows: that row is "already present", the new one is added.
    existing = LegacySubscription.objects.first()
    mixed = legacy_csv([(customer, existing.public_id, existing.friendly_name), (customer, uuid.uuid4(), "C")])
    result = legacy_importer.legacy_import(actor=actor, content=mixed)
    assert (result.added, result.already_present) == (1, 1)
    assert LegacySubscription.objects.count() == 3


def test_bad_rows_are_all_reported_and_nothing_is_imported(actor, customer, other_org):
    foreign = CustomerFactory(organisation=other_org)
    dup = uuid.uuid4()
    future = (timezone.now() + timedelta(days=3)).date().isoformat()
    content = legacy_csv([
        (customer, uuid.uuid4(), "Good"),                         # line 2: fine
        ("not-a-guid", uuid.uuid4(), "X"),                        # 3
        (foreign, uuid.uuid4(), "Foreign"),                       # 4: another partner's customer = unknown
        (customer, dup, "First"),                                 # 5
        (customer, dup, "Second"),                                # 6: the same id twice in the file
        (customer, uuid.uuid4(), "Y" * 129),                      # 7
        (customer, uuid.uuid4(), "Z", "1234567"),                 # 8: a direct partner names no reseller
        (customer, uuid.uuid4(), "W", "", future),                # 9
        (customer, uuid.uuid4(), "V", "", "31/12/2019"),          # 10
        (customer, uuid.uuid4(), "R", "", "2019-01-01", "customer_user:a@b.example.com:Overlord"),  # 11
    ])
    with pytest.raises(errors.LegacyImportInvalid) as exc:
        legacy_importer.legacy_import(actor=actor, content=content)
    assert _errors(exc) == {(3, "customerId"), (4, "customerId"), (6, "subscriptionId"), (7, "friendlyName"),
                            (8, "resellerPartnerId"), (9, "createdDate"), (10, "createdDate"), (11, "roleAssignments")}
    assert exc.value.status == 400 and exc.value.parameters["badRows"] == 8
    assert "None of your customers" in next(e["reason"] for e in exc.value.data if e["line"] == 4)
    assert LegacySubscription.objects.count() == 0 and LegacyImport.objects.count() == 0


def test_a_malformed_file_is_refused_whole(actor, customer):
    for content in (b"", b"\xff\xfe\x00garbage", b"customerId,subscriptionId\n1,2\n",
                    b"customerId,subscriptionId,friendlyName,resellerPartnerId,createdDate,colour\n"):
        with pytest.raises(errors.LegacyImportInvalid) as exc:
            legacy_importer.legacy_import(actor=actor, content=content)
        assert exc.value.data, content
    # Columns in another order are read by their names; a row with a missing value is reported.
    reordered = (f"createdDate,friendlyName,subscriptionId,customerId,resellerPartnerId\n"
                 f"2019-01-01,Reordered,{uuid.uuid4()},{customer.tenant_id},\n").encode()
    assert legacy_importer.legacy_import(actor=actor, content=reordered).added == 1
    short = f"customerId,subscriptionId,friendlyName,resellerPartnerId,createdDate\n{customer.tenant_id},x\n".encode()
    with pytest.raises(errors.LegacyImportInvalid) as exc:
        legacy_importer.legacy_import(actor=actor, content=short)
    assert _errors(exc) == {(2, "file")}
    assert LegacySubscription.objects.count() == 1


def test_a_subscription_id_of_another_customer_is_refused(actor, customer, admin):
    other = buyable_customer(admin.organisation)
    sub_id = uuid.uuid4()
    legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, sub_id, "Mine")]))
    with pytest.raises(errors.LegacyImportInvalid) as exc:
        legacy_importer.legacy_import(actor=actor, content=legacy_csv([(other, sub_id, "Theirs")]))
    assert _errors(exc) == {(2, "subscriptionId")}
    assert LegacySubscription.objects.get(public_id=sub_id).customer == customer


def test_only_global_admins_and_admin_agents_of_providing_partners_import(make_user, customer):
    billing = make_user(Role.BILLING_ADMIN)
    with pytest.raises(PartnerCenterError) as exc:
        legacy_importer.legacy_import(actor=actor_for_user(billing), content=legacy_csv([(customer, uuid.uuid4(), "A")]))
    assert exc.value.status == 403
    assert LegacySubscription.objects.count() == 0


@pytest.fixture
def provider_setup(make_org, make_user):
    provider = make_org(name="Provider", tier=Tier.INDIRECT_PROVIDER)
    r1 = make_org(name="Reseller One", tier=Tier.INDIRECT_RESELLER, provider=provider)
    r2 = make_org(name="Reseller Two", tier=Tier.INDIRECT_RESELLER, provider=provider)
    user = make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=provider)
    customer = buyable_customer(provider, reseller=r1)
    return provider, r1, r2, actor_for_user(user), customer


def test_an_indirect_provider_names_a_reseller_of_each_row(provider_setup):
    provider, r1, r2, actor, customer = provider_setup
    with pytest.raises(errors.LegacyImportInvalid) as exc:
        legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, uuid.uuid4(), "A", ""),
                                                          (customer, uuid.uuid4(), "B", "0000000")]))
    assert _errors(exc) == {(2, "resellerPartnerId"), (3, "resellerPartnerId")}
    content = legacy_csv([(customer, uuid.uuid4(), "A", r1.partner_id, "2019-01-01",
                           f"indirect_reseller:{r1.partner_id}:Contributor;customer_user:11111111-1111-4111-8111-111111111111:Reader")])
    legacy_importer.legacy_import(actor=actor, content=content)
    legacy = LegacySubscription.objects.get()
    assert legacy.reseller == r1
    assert [(a["principal_type"], a["role"], a["partner_id"]) for a in legacy.role_assignments] == [
        ("indirect_reseller", "Contributor", r1.pk), ("customer_user", "Reader", None)]


# ---------------------------------------------------------------- eligibility


def test_eligibility_reasons(actor, admin, make_org, make_user, customer):
    no_mca = CustomerFactory(organisation=admin.organisation)
    assert legacy_services.upgrade_eligibility(actor=actor, customer=no_mca).code == 900120
    no_legacy = legacy_services.upgrade_eligibility(actor=actor, customer=customer)
    assert (no_legacy.is_eligible, no_legacy.code) == (False, 900108)
    legacy_estate(actor, customer, 1)
    assert legacy_services.upgrade_eligibility(actor=actor, customer=customer).is_eligible
    customer.relationship = "none"
    customer.save()
    assert legacy_services.upgrade_eligibility(actor=actor, customer=customer).code == 900159
    customer.relationship = "reseller"
    customer.save()
    ProductUpgrade.objects.create(customer=customer)
    open_one = legacy_services.upgrade_eligibility(actor=actor, customer=customer)
    assert (open_one.is_eligible, open_one.code, open_one.upgrade_id) == (False, 900109, open_one.upgrade.public_id)


def test_an_indirect_reseller_asking_is_not_eligible_and_cannot_start(provider_setup, make_user,
                                                                       django_capture_on_commit_callbacks):
    provider, r1, r2, actor, customer = provider_setup
    legacy_estate(actor, customer, 1, reseller=r1.partner_id)
    reseller_actor = actor_for_user(make_user(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, organisation=r1))
    answer = legacy_services.upgrade_eligibility(actor=reseller_actor, customer=customer)
    assert (answer.is_eligible, answer.code) == (False, 900123)
    with pytest.raises(PartnerCenterError) as exc:
        legacy_services.upgrade_start(actor=reseller_actor, customer=customer)
    assert exc.value.status == 403
    assert ProductUpgrade.objects.count() == 0


# ---------------------------------------------------------------- one customer's transition


def _start(actor, customer, capture):
    with capture(execute=True):
        upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)
    upgrade.refresh_from_db()
    return upgrade


def test_a_transition_buys_the_plan_and_moves_every_subscription_keeping_id_name_and_roles(
        actor, customer, admin, django_capture_on_commit_callbacks):
    ids = [uuid.uuid4(), uuid.uuid4()]
    legacy_importer.legacy_import(actor=actor, content=legacy_csv([
        (customer, ids[0], "Production", "", "2017-01-02", "customer_user:11111111-1111-4111-8111-111111111111:Contributor"),
        (customer, ids[1], "Test")]))
    before = timezone.now()
    upgrade = _start(actor, customer, django_capture_on_commit_callbacks)
    assert upgrade.status == "completed" and upgrade.lines.filter(status="completed").count() == 2
    plan = AzurePlan.objects.get(customer=customer)
    assert plan.status == "active" and plan.order.upgrade == upgrade and plan.order.status == "completed"
    # No "Azure subscription 1": only the moved ones, with their ids and names.
    assert {(s.subscription_id, s.friendly_name) for s in plan.azure_subscriptions.all()} == {
        (ids[0], "Production"), (ids[1], "Test")}
    moved = AzureSubscription.objects.get(subscription_id=ids[0])
    assert [(r.principal_id, r.role_id) for r in RoleAssignment.objects.filter(azure_subscription=moved)] == [
        ("11111111-1111-4111-8111-111111111111", "Contributor")]
    for legacy in LegacySubscription.objects.filter(customer=customer):
        assert legacy.status == "suspended" and legacy.azure_subscription.subscription_id == legacy.entitlement_id
        assert before <= legacy.transitioned_at <= timezone.now() and legacy.suspended_at == legacy.transitioned_at
    events = AuditEvent.objects.filter(action="legacy_subscription.transitioned", subject_id=str(customer.tenant_id))
    assert events.count() == 2 and {e.actor_user_id for e in events} == {admin.pk}
    # Afterwards: no legacy purchase, nothing left to transition.
    assert legacy_services.upgrade_eligibility(actor=actor, customer=customer).code == 900108
    with pytest.raises(PartnerCenterError):
        ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line(
            catalog_item_id="9DEA7946-EC2C-441E-9FFD-E3B275F7E838:MS-AZR-0145P:DZH318Z0C8WX")])


def test_a_plan_cannot_be_bought_while_legacy_subscriptions_are_active(actor, customer):
    legacy_estate(actor, customer, 1)
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line()])
    with pytest.raises(PartnerCenterError) as exc:
        ordering_services.cart_checkout(actor=actor, cart=cart)
    assert exc.value.code == 990050
    assert AzurePlan.objects.count() == 0


def test_one_plan_per_reseller_of_record(provider_setup, django_capture_on_commit_callbacks):
    provider, r1, r2, actor, customer = provider_setup
    legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, uuid.uuid4(), "One", r1.partner_id),
                                                      (customer, uuid.uuid4(), "Two", r2.partner_id),
                                                      (customer, uuid.uuid4(), "Three", r2.partner_id)]))
    upgrade = _start(actor, customer, django_capture_on_commit_callbacks)
    assert upgrade.status == "completed"
    plans = {p.reseller_id: p for p in AzurePlan.objects.filter(customer=customer)}
    assert set(plans) == {r1.pk, r2.pk}
    assert plans[r2.pk].azure_subscriptions.count() == 2 and plans[r1.pk].azure_subscriptions.count() == 1
    assert all(s.reseller_id == r2.pk for s in plans[r2.pk].azure_subscriptions.all())


def test_an_existing_plan_is_used_not_bought_again(actor, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line()])
        order = ordering_services.cart_checkout(actor=actor, cart=cart)[0]
    legacy_estate(actor, customer, 2)
    upgrade = _start(actor, customer, django_capture_on_commit_callbacks)
    assert upgrade.status == "completed"
    plan = AzurePlan.objects.get(customer=customer)
    assert plan.order == order and plan.azure_subscriptions.count() == 3  # its first one and the two moved
    assert Order.objects.filter(customer=customer).count() == 1


def test_a_failed_line_does_not_stop_the_others_and_is_retried(actor, customer, django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, names=["Fine", "N" * 70, "Also fine"])
    upgrade = _start(actor, customer, django_capture_on_commit_callbacks)
    assert upgrade.status == "failed"
    failed = upgrade.lines.get(status="failed")
    assert failed.error_code == "800002" and "64" in failed.error_message
    assert upgrade.lines.filter(status="completed").count() == 2
    legacy = failed.legacy
    assert legacy.status == "active" and legacy.transitioned_at is None
    # Eligibility and a new start point at the failed upgrade.
    assert legacy_services.upgrade_eligibility(actor=actor, customer=customer).code == 900114
    with pytest.raises(PartnerCenterError) as exc:
        legacy_services.upgrade_start(actor=actor, customer=customer)
    assert exc.value.code == 900114 and exc.value.status == 409
    legacy_services.legacy_rename(actor=actor, legacy=legacy, name="Renamed")
    with django_capture_on_commit_callbacks(execute=True):
        legacy_services.upgrade_retry(actor=actor, upgrade=upgrade)
    upgrade.refresh_from_db()
    assert upgrade.status == "completed" and upgrade.lines.filter(status="completed").count() == 3
    assert AzureSubscription.objects.get(subscription_id=legacy.entitlement_id).friendly_name == "Renamed"
    assert AzurePlan.objects.filter(customer=customer).count() == 1
    with pytest.raises(PartnerCenterError) as exc:
        legacy_services.upgrade_retry(actor=actor, upgrade=upgrade)
    assert exc.value.code == 900110


def test_running_twice_or_after_a_crash_moves_each_subscription_once(actor, customer, django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, 3)
    # A crash right after the plan was bought: the plan is pending, the order not provisioned, nothing moved.
    with django_capture_on_commit_callbacks(execute=False):
        upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)
    cart = ordering_services.cart_create(actor=actor, customer=customer, items=[plan_line()])
    with django_capture_on_commit_callbacks(execute=False):
        ordering_services.cart_checkout(actor=actor, cart=cart, upgrade=upgrade)
    assert AzurePlan.objects.get(customer=customer).status == "pending"
    legacy_transition.upgrade_run(upgrade.pk)
    legacy_transition.upgrade_run(upgrade.pk)
    upgrade.refresh_from_db()
    assert upgrade.status == "completed" and upgrade.attempts == 1
    assert AzurePlan.objects.filter(customer=customer).count() == 1
    assert AzureSubscription.objects.filter(plan__customer=customer).count() == 3
    assert AuditEvent.objects.filter(action="legacy_subscription.transitioned").count() == 3


def test_two_starts_give_one_upgrade(actor, customer, django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, 1)
    with django_capture_on_commit_callbacks(execute=False):
        legacy_services.upgrade_start(actor=actor, customer=customer)
        with pytest.raises(PartnerCenterError) as exc:
            legacy_services.upgrade_start(actor=actor, customer=customer)
    assert exc.value.code == 900109
    assert ProductUpgrade.objects.count() == 1


# ---------------------------------------------------------------- batches


def test_a_batch_runs_every_eligible_customer_and_counts_progress(actor, admin, customer,
                                                                  django_capture_on_commit_callbacks):
    second = buyable_customer(admin.organisation)
    no_mca = CustomerFactory(organisation=admin.organisation)
    legacy_estate(actor, customer, 2)
    legacy_estate(actor, second, names=["ok", "L" * 80])
    legacy_importer.legacy_import(actor=actor, content=legacy_csv([(no_mca, uuid.uuid4(), "No MCA")]))
    with django_capture_on_commit_callbacks(execute=True):
        started = legacy_services.batch_start(actor=actor, all_eligible=True)
    assert started.started == 2 and [s["code"] for s in started.skipped] == [900120]
    job = Job.objects.get(pk=started.job.pk)
    assert (job.status, job.total, job.done, job.failures) == ("succeeded", 2, 2, 1)
    assert job.result["linesMoved"] == 3 and job.result["linesFailed"] == 1
    assert job.percent == 100
    # Retrying the failed customer reopens the batch and closes it again.
    failed = ProductUpgrade.objects.get(customer=second)
    legacy_services.legacy_rename(actor=actor, legacy=failed.lines.get(status="failed").legacy, name="short")
    with django_capture_on_commit_callbacks(execute=True):
        legacy_services.upgrade_retry(actor=actor, upgrade=failed)
    job.refresh_from_db()
    assert (job.status, job.done, job.failures, job.result["linesMoved"]) == ("succeeded", 2, 0, 4)


def test_cancelling_a_batch_stops_customers_not_yet_started(actor, admin, customer, django_capture_on_commit_callbacks):
    second = buyable_customer(admin.organisation)
    legacy_estate(actor, customer, 1)
    legacy_estate(actor, second, 1)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        started = legacy_services.batch_start(actor=actor, customers=[customer, second])
    job = legacy_services.batch_cancel(actor=actor, job=started.job)
    assert job.status == "cancelled" and job.result["customersCancelled"] == 2
    for callback in queued:  # the tasks arrive after the cancellation: they do nothing
        callback()
    assert AzurePlan.objects.count() == 0 and LegacySubscription.objects.filter(status="active").count() == 2
    with pytest.raises(PartnerCenterError) as exc:
        legacy_services.batch_cancel(actor=actor, job=job)
    assert exc.value.status == 409
    # The customers can be started again later.
    assert legacy_services.upgrade_eligibility(actor=actor, customer=customer).is_eligible


def test_a_finished_batch_cannot_be_cancelled(actor, customer, django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, 1)
    with django_capture_on_commit_callbacks(execute=True):
        started = legacy_services.batch_start(actor=actor, all_eligible=True)
    with pytest.raises(PartnerCenterError) as exc:
        legacy_services.batch_cancel(actor=actor, job=started.job)
    assert exc.value.status == 409 and Job.objects.get(pk=started.job.pk).status == "succeeded"


def test_a_batch_with_no_eligible_customer_is_refused(actor, customer):
    with pytest.raises(PartnerCenterError) as exc:
        legacy_services.batch_start(actor=actor, all_eligible=True)
    assert exc.value.status == 400
    with pytest.raises(PartnerCenterError) as exc:
        legacy_services.batch_start(actor=actor, customers=[customer])
    assert exc.value.code == 900108
    assert Job.objects.count() == 0


def test_stalled_upgrades_are_sent_again(actor, customer, django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, 1)
    with django_capture_on_commit_callbacks(execute=False):
        upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)
    ProductUpgrade.objects.filter(pk=upgrade.pk).update(status="inProgress", heartbeat_at=timezone.now() - timedelta(
        hours=1), created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert legacy_transition.resume_stalled_upgrades(older_than_seconds=60) == 1
    upgrade.refresh_from_db()
    assert upgrade.status == "completed"
    assert legacy_transition.resume_stalled_upgrades(older_than_seconds=60) == 0


def test_a_purchase_gate_closed_meanwhile_fails_the_lines_with_its_reason(actor, customer,
                                                                           django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, 2)
    with django_capture_on_commit_callbacks(execute=False):
        upgrade = legacy_services.upgrade_start(actor=actor, customer=customer)
    customer.relationship = "none"  # the relationship went away between the start and the run
    customer.save()
    legacy_transition.upgrade_run(upgrade.pk)
    upgrade.refresh_from_db()
    assert upgrade.status == "failed"
    assert set(upgrade.lines.values_list("error_code", flat=True)) == {"20002"}
    assert AzurePlan.objects.count() == 0 and LegacySubscription.objects.filter(status="active").count() == 2


# ---------------------------------------------------------------- races and limits found in review


def test_a_stale_run_never_overwrites_lines_another_run_finished(actor, customer, django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, 2)
    upgrade = _start(actor, customer, django_capture_on_commit_callbacks)
    lines = list(upgrade.lines.all())
    assert {line.status for line in lines} == {"completed"}
    # A second run that read these lines while they were pending, then failed to get the plan, marks them failed:
    legacy_transition._fail_lines(upgrade.pk, lines, 900113, "The Azure plan is still being provisioned")
    assert set(upgrade.lines.values_list("status", flat=True)) == {"completed"}


def test_a_batch_racing_another_start_skips_that_customer_instead_of_failing(actor, admin, customer, monkeypatch,
                                                                           django_capture_on_commit_callbacks):
    second = buyable_customer(admin.organisation)
    legacy_estate(actor, customer, 1)
    legacy_estate(actor, second, 1)
    checked = legacy_services.eligibility_in_bulk

    def then_someone_starts_second(actor_, customers):
        result = checked(actor_, customers)
        ProductUpgrade.objects.create(customer=second)  # another person's start, right after the check
        return result

    monkeypatch.setattr(legacy_services, "eligibility_in_bulk", then_someone_starts_second)
    with django_capture_on_commit_callbacks(execute=False):
        started = legacy_services.batch_start(actor=actor, customers=[customer, second])
    assert started.started == 1 and started.job.total == 1
    assert [s["code"] for s in started.skipped] == [900109]
    assert ProductUpgrade.objects.filter(customer=second).count() == 1


def test_an_indirect_reseller_counts_only_its_own_legacy_subscriptions(provider_setup, make_user):
    from azureplan.legacy.selectors import legacy_customers

    provider, r1, r2, actor, customer = provider_setup
    legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, uuid.uuid4(), "One", r1.partner_id),
                                                      (customer, uuid.uuid4(), "Two", r2.partner_id),
                                                      (customer, uuid.uuid4(), "Three", r2.partner_id)]))
    ProductUpgrade.objects.create(customer=customer)
    reseller_actor = actor_for_user(make_user(Role.ADMIN_AGENT, organisation=r1))
    [row] = legacy_customers(actor=reseller_actor)
    assert (row.legacy_active, row.latest_upgrade) == (1, None)
    [row] = legacy_customers(actor=actor)
    assert row.legacy_active == 3 and row.latest_upgrade is not None


def test_dates_before_azure_are_refused(actor, customer):
    for value in ("0001-01-01T00:00:00+05:00", "1999-12-31"):
        with pytest.raises(errors.LegacyImportInvalid) as exc:
            legacy_importer.legacy_import(actor=actor, content=legacy_csv([(customer, uuid.uuid4(), "Old", "", value)]))
        assert _errors(exc) == {(2, "createdDate")}
    assert LegacySubscription.objects.count() == 0


def test_an_import_costs_the_same_queries_for_10_or_100_rows(provider_setup):
    provider, r1, r2, actor, customer = provider_setup

    def rows(n):
        return legacy_csv([(customer, uuid.uuid4(), f"S{i}", r1.partner_id, "2019-01-01",
                            f"indirect_reseller:{r1.partner_id}:Owner") for i in range(n)])

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        legacy_importer.legacy_import(actor=actor, content=rows(10))
    with CaptureQueriesContext(connection) as large:
        legacy_importer.legacy_import(actor=actor, content=rows(100))
    assert len(large) == len(small)
    assert LegacySubscription.objects.count() == 110


def test_pending_customers_of_a_batch_still_draining_are_not_sent_twice(actor, admin, customer,
                                                                        django_capture_on_commit_callbacks):
    second = buyable_customer(admin.organisation)
    legacy_estate(actor, customer, 1)
    legacy_estate(actor, second, 1)
    with django_capture_on_commit_callbacks(execute=False):
        started = legacy_services.batch_start(actor=actor, customers=[customer, second])
    hour_ago = timezone.now() - timedelta(hours=1)
    ProductUpgrade.objects.filter(batch=started.job).update(created_at=hour_ago)
    # One customer of the batch is running right now: the other is only waiting in the queue.
    ProductUpgrade.objects.filter(customer=customer).update(status="inProgress", heartbeat_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert legacy_transition.resume_stalled_upgrades(older_than_seconds=60) == 0
    assert not sent
    # Nothing of the batch has moved for an hour: its pending customer's message is taken as lost.
    ProductUpgrade.objects.filter(customer=customer).update(heartbeat_at=hour_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert legacy_transition.resume_stalled_upgrades(older_than_seconds=60) == 2
    assert set(ProductUpgrade.objects.values_list("status", flat=True)) == {"completed"}
    assert Job.objects.get(pk=started.job.pk).status == "succeeded"


def test_a_transition_started_with_a_token_is_audited_as_that_token(admin, customer, django_capture_on_commit_callbacks):
    from accounts.actors import actor_for_credential
    from accounts.services import credential_create

    credential, _raw = credential_create(actor=actor_for_user(admin), name="automation")
    token_actor = actor_for_credential(credential, request_id="req-token")
    legacy_estate(token_actor, customer, 2)
    _start(token_actor, customer, django_capture_on_commit_callbacks)
    events = AuditEvent.objects.filter(action="legacy_subscription.transitioned")
    assert events.count() == 2
    assert {(e.actor_user_id, e.actor_credential_id, e.request_id) for e in events} == {
        (admin.pk, credential.pk, "req-token")}
    plan_events = AuditEvent.objects.filter(action="order.created")
    assert {(e.actor_credential_id, e.request_id) for e in plan_events} == {(credential.pk, "req-token")}


def test_a_batch_whose_customers_all_have_an_open_upgrade_is_a_conflict(actor, customer,
                                                                       django_capture_on_commit_callbacks):
    legacy_estate(actor, customer, 1)
    with django_capture_on_commit_callbacks(execute=False):
        legacy_services.upgrade_start(actor=actor, customer=customer)
        with pytest.raises(PartnerCenterError) as exc:
            legacy_services.batch_start(actor=actor, customers=[customer])
    assert (exc.value.status, exc.value.code) == (409, 900109)
    assert Job.objects.count() == 0
