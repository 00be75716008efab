"""The transition run of legacy Azure (MS-AZR-0145P) to the Azure plan (domain.md §2.9), the batch recount and the
resume of work whose worker was lost.

How a transition runs (`upgrade_run`, from the Celery task `run_upgrade`; safe to run twice, or after a
worker was killed at any point):

1. claim the upgrade (pending -> in progress) and list its lines: one per active legacy subscription;
2. buy the Azure plan where the customer has none, one per reseller of record, through the ordering
   services a person uses (cart, checkout, provisioning: the relationship and MCA gates apply); each
   purchase commits on its own, and the partial unique index on plans means a repeat finds it, never
   buys a second;
3. move every line that passes its checks in one transaction and a fixed number of statements whatever
   the number of subscriptions: the Azure subscriptions (same id, same name), their role assignments,
   the legacy suspension with the cut-over instant, the lines and the audit events commit together;
4. finish: completed, or failed when a line failed (each failed line keeps its reason and can be retried)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Organisation
from core.actor import Actor
from core.audit import audit_record
from core.errors import PartnerCenterError
from core.models import AuditEvent, Job, JobStatus
from core.status import allowed_from, check_move, status_move

from .. import errors
from ..choices import (
    TRANSITION_BATCH_TRANSITIONS,
    AzureSubscriptionStatus,
    LegacyStatus,
    OrderStatus,
    PlanStatus,
    UpgradeLineStatus,
    UpgradeStatus,
)
from ..errors import UpgradeError
from ..models import (
    AzurePlan,
    AzureSubscription,
    LegacySubscription,
    ProductUpgrade,
    ProductUpgradeLine,
    RoleAssignment,
)
from ..ordering import services as ordering_services
from .rules import AZURE_SUBSCRIPTION_NAME_MAX


def _enqueue(upgrade_pk):
    from .tasks import run_upgrade

    run_upgrade.delay_on_commit(upgrade_pk)



# ---------------------------------------------------------------- running


def _actor_for(upgrade, organisation) -> Actor:
    """The background work is audited as whoever started the upgrade (user or credential, label, request id) and acts
    with the transition's authority: it holds every role inside the partner, because starting a transition (open to
    every role, domain.md §1.3) is what authorises the plan purchase it makes, as in Partner Center."""
    return Actor(organisation_id=organisation.pk, roles=frozenset(Role),
                 visible_organisation_ids=organisation.visible_organisation_ids(), user_id=upgrade.created_by_id,
                 credential_id=upgrade.created_credential_id,
                 label=(upgrade.created_label or "transition")[:255], request_id=upgrade.request_id,
                 tier=organisation.tier)


def _claim(upgrade_id):
    """Pending -> in progress, lines listed. None when there is nothing to do (cancelled, finished)."""
    with transaction.atomic():
        upgrade = ProductUpgrade.objects.select_for_update(of=("self",)).select_related("customer").get(pk=upgrade_id)
        if upgrade.status not in (UpgradeStatus.PENDING, UpgradeStatus.IN_PROGRESS):
            return None
        now = timezone.now()
        upgrade.attempts += 1
        upgrade.heartbeat_at = now
        if upgrade.status == UpgradeStatus.PENDING:
            upgrade.started_at = now
            status_move(upgrade, UpgradeStatus.IN_PROGRESS, fields=("started_at", "attempts", "heartbeat_at"))
        else:
            upgrade.save(update_fields=["attempts", "heartbeat_at"])
        if not upgrade.lines.exists():
            legacy = LegacySubscription.objects.filter(customer=upgrade.customer, status=LegacyStatus.ACTIVE,
                                                       transitioned_at__isnull=True)
            ProductUpgradeLine.objects.bulk_create(
                [ProductUpgradeLine(upgrade=upgrade, legacy_id=pk) for pk in legacy.values_list("pk", flat=True)],
                ignore_conflicts=True)
        return upgrade


def _plan_for(upgrade, customer, reseller, actor):
    """The customer's live Azure plan with this reseller of record, bought (and provisioned) when there is none.
    Returns (plan, None) or (None, error)."""
    plan = AzurePlan.objects.filter(customer=customer, reseller=reseller).exclude(status=PlanStatus.CANCELLED).first()
    if plan is None:
        from ..catalog.selectors import availability_list

        try:
            availability = availability_list(product_id=ordering_services.AZURE_PLAN_PRODUCT, sku_id="0001",
                                             country=customer.country_id)[0]
        except (PartnerCenterError, IndexError):
            return None, UpgradeError(_("The Azure plan is not sold in the customer's country (%(country)s).")
                                      % {"country": customer.country_id}, status=400, code=900107)
        line = {"catalog_item_id": availability.catalog_item_id, "quantity": 1, "billing_cycle": "one_time",
                "reseller": reseller.partner_id if reseller else None}
        try:
            cart = ordering_services.cart_create(actor=actor, customer=customer, items=[line])
            ordering_services.cart_checkout(actor=actor, cart=cart, upgrade=upgrade)
        except errors.AzurePlanExists:
            pass  # bought at the same moment by another run of this upgrade: use it
        except PartnerCenterError as exc:
            return None, exc
        plan = AzurePlan.objects.filter(customer=customer, reseller=reseller).exclude(
            status=PlanStatus.CANCELLED).first()
    if plan.status == PlanStatus.PENDING:
        ordering_services.order_provision(plan.order_id)
        plan.refresh_from_db()
        if plan.status == PlanStatus.PENDING:  # provisioning runs elsewhere right now
            order = plan.order
            order.refresh_from_db()
            if order.status == OrderStatus.PENDING:
                return None, UpgradeError(_("The Azure plan is still being provisioned; retry in a moment."),
                                          status=409, code=900113)
    if plan.status != PlanStatus.ACTIVE:
        order = plan.order
        reason = order.error_reason if order.status == OrderStatus.FAILED else ""
        return None, UpgradeError(
            _("The Azure plan %(name)s is %(status)s: reactivate it, then retry.")
            % {"name": plan.friendly_name, "status": plan.get_status_display().lower()} + (f" {reason}" if reason
                                                                                           else ""),
            status=400, code=800096)
    return plan, None


def lines_worth_retrying(lines):
    """The failed lines whose cause is gone: retrying one that would fail the same way again (a name still too
    long, a suspended subscription, an id already under an Azure plan) changes nothing and only fills the logs.
    A line that failed for another reason (the run itself) is worth retrying."""
    lines = list(lines)
    taken = set(AzureSubscription.objects.filter(
        subscription_id__in=[line.legacy.entitlement_id for line in lines]).values_list("subscription_id", flat=True))
    return [line for line in lines if line.error_code not in DETERMINISTIC_CODES
            or _line_problem(line.legacy, taken) is None]


DETERMINISTIC_CODES = {"800002", "900105", "900120"}  # the codes _line_problem gives


def _line_problem(legacy, plan_sub_ids):
    """Why this legacy subscription cannot move (code, message), or None."""
    if legacy.status != LegacyStatus.ACTIVE:
        return 900105, _("The legacy subscription is suspended: suspended legacy Azure subscriptions can't be "
                         "transitioned to the Azure plan.")
    if len(legacy.friendly_name) > AZURE_SUBSCRIPTION_NAME_MAX:
        return 800002, _("Its name is %(n)s characters; an Azure subscription name is at most %(max)s. Rename the "
                         "legacy subscription, then retry.") % {"n": len(legacy.friendly_name),
                                                               "max": AZURE_SUBSCRIPTION_NAME_MAX}
    if legacy.entitlement_id in plan_sub_ids:
        return 900120, _("An Azure subscription with this id already exists under an Azure plan.")
    return None


def _fail_lines(upgrade_pk, lines, code, message):
    """Mark lines failed: only those still pending, under the upgrade's lock, so a run never overwrites what another
    run of the same upgrade finished meanwhile."""
    with transaction.atomic():
        ProductUpgrade.objects.select_for_update(of=("self",)).get(pk=upgrade_pk)
        ProductUpgradeLine.objects.filter(
            pk__in=[line.pk for line in lines], status__in=allowed_from(ProductUpgradeLine, UpgradeLineStatus.FAILED),
        ).update(status=UpgradeLineStatus.FAILED, error_code=str(code), error_message=str(message)[:2000],
                 attempts=F("attempts") + 1)


def _move_lines(upgrade, actor, organisation, plans, lines):
    """One transaction, a fixed number of statements: the Azure subscriptions, their role assignments, the legacy
    suspension with the cut-over instant, the lines and the audit events. Lines whose checks fail are marked
    failed in the same transaction; the others move."""
    with transaction.atomic():
        ProductUpgrade.objects.select_for_update(of=("self",)).get(pk=upgrade.pk)  # one run at a time
        ids = [line.legacy_id for line in lines]
        legacy = {row.pk: row for row in LegacySubscription.objects.select_for_update(of=("self",)).select_related(
            "azure_subscription").filter(pk__in=ids)}
        current = {row.pk: row for row in ProductUpgradeLine.objects.select_for_update().filter(
            pk__in=[line.pk for line in lines], status=UpgradeLineStatus.PENDING)}
        plan_sub_ids = set(AzureSubscription.objects.filter(
            subscription_id__in=[row.entitlement_id for row in legacy.values()]).values_list("subscription_id",
                                                                                          flat=True))
        now = timezone.now()
        moving, failing, done_before = [], {}, []
        for line in current.values():
            row = legacy[line.legacy_id]
            if row.transitioned_at is not None:  # moved already (by another upgrade): the line says so, nothing moves
                line.status, line.azure_subscription = UpgradeLineStatus.COMPLETED, row.azure_subscription
                line.plan_id, line.upgraded_at = row.azure_subscription.plan_id, row.transitioned_at
                done_before.append(line)
                continue
            problem = _line_problem(row, plan_sub_ids)
            if problem:
                failing.setdefault(problem, []).append(line)
            else:
                moving.append((line, row))
        for (code, message), failed in failing.items():
            _fail_lines(upgrade.pk, failed, code, message)
        for line in done_before:
            check_move(ProductUpgradeLine, UpgradeLineStatus.PENDING, line.status)
        if done_before:
            ProductUpgradeLine.objects.bulk_update(done_before, ["status", "azure_subscription", "plan", "upgraded_at"])
        if not moving:
            return 0, sum(len(v) for v in failing.values())
        subs = AzureSubscription.objects.bulk_create([
            AzureSubscription(subscription_id=row.entitlement_id, plan=plans[row.reseller_id],
                              friendly_name=row.friendly_name, status=AzureSubscriptionStatus.ACTIVE,
                              reseller_id=row.reseller_id,
                              created_by_id=actor.user_id, created_at=now)
            for _line, row in moving])
        by_legacy = {row.pk: sub for (_line, row), sub in zip(moving, subs, strict=True)}
        RoleAssignment.objects.bulk_create([
            RoleAssignment(azure_subscription=by_legacy[row.pk], principal_type=a["principal_type"],
                           principal_id=a["principal_id"], principal_name=a["principal_name"],
                           partner_id=a.get("partner_id"), role_id=a["role"], granted_at=row.created_date,
                           created_by_id=actor.user_id)
            for _line, row in moving for a in row.role_assignments])
        for line, row in moving:  # rows and lines locked above; the bulk updates below obey their tables
            check_move(LegacySubscription, row.status, LegacyStatus.SUSPENDED)
            check_move(ProductUpgradeLine, line.status, UpgradeLineStatus.COMPLETED)
            row.status = LegacyStatus.SUSPENDED
            row.suspended_at = now
            row.transitioned_at = now
            row.azure_subscription = by_legacy[row.pk]
            row.version += 1
            line.status = UpgradeLineStatus.COMPLETED
            line.plan = plans[row.reseller_id]
            line.azure_subscription = by_legacy[row.pk]
            line.upgraded_at = now
            line.error_code = line.error_message = ""
            line.attempts += 1
        LegacySubscription.objects.bulk_update([row for _l, row in moving],
                                               ["status", "suspended_at", "transitioned_at", "azure_subscription",
                                                "version"])
        ProductUpgradeLine.objects.bulk_update([line for line, _r in moving],
                                               ["status", "plan", "azure_subscription", "upgraded_at", "error_code",
                                                "error_message", "attempts"])
        customer = upgrade.customer
        AuditEvent.objects.bulk_create([
            AuditEvent(organisation_id=organisation.pk, actor_user_id=actor.user_id,
                       actor_credential_id=actor.credential_id, actor_label=actor.label[:255],
                       action="legacy_subscription.transitioned", object_type="azureplan.LegacySubscription",
                       object_id=str(row.public_id), object_repr=str(row)[:255], subject_type="customers.Customer",
                       subject_id=str(customer.tenant_id), request_id=actor.request_id, created_at=now,
                       data={"upgrade": str(upgrade.public_id), "azurePlan": str(plans[row.reseller_id].public_id),
                             "azureSubscription": str(row.entitlement_id), "cutOver": now.isoformat()})
            for _line, row in moving])
        return len(moving), sum(len(v) for v in failing.values())


def upgrade_run(upgrade_id) -> ProductUpgrade | None:
    """The body of the Celery task `run_upgrade`: idempotent, resumable after a crash at any point."""
    upgrade = _claim(upgrade_id)
    if upgrade is None:
        return ProductUpgrade.objects.filter(pk=upgrade_id).first()
    customer = upgrade.customer
    organisation = Organisation.objects.get(pk=customer.organisation_id)
    actor = _actor_for(upgrade, organisation)
    pending = list(upgrade.lines.filter(status=UpgradeLineStatus.PENDING).select_related("legacy__reseller"))
    plans, by_reseller = {}, {}
    for line in pending:
        by_reseller.setdefault(line.legacy.reseller_id, []).append(line)
    movable = []
    for reseller_id, lines in by_reseller.items():
        _beat(upgrade.pk)
        reseller = lines[0].legacy.reseller
        plan, error = _plan_for(upgrade, customer, reseller, actor)
        if error is not None:
            _fail_lines(upgrade.pk, lines, error.code, error.description)
            continue
        plans[reseller_id] = plan
        movable.extend(lines)
    if movable:
        _beat(upgrade.pk)
        _move_lines(upgrade, actor, organisation, plans, movable)
    return _finish(upgrade.pk, actor)


def _beat(upgrade_pk):
    """The run is alive: resume_stalled_upgrades leaves it alone."""
    ProductUpgrade.objects.filter(pk=upgrade_pk).update(heartbeat_at=timezone.now())


def _finish(upgrade_pk, actor) -> ProductUpgrade:
    with transaction.atomic():
        upgrade = ProductUpgrade.objects.select_for_update(of=("self",)).select_related("customer").get(pk=upgrade_pk)
        if upgrade.status != UpgradeStatus.IN_PROGRESS:
            return upgrade
        counts = dict(upgrade.lines.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        if counts.get(UpgradeLineStatus.PENDING):
            return upgrade  # another run still works on it
        failed = counts.get(UpgradeLineStatus.FAILED, 0)
        upgrade.finished_at = timezone.now()
        if not counts:
            upgrade.error_code = "900108"
            upgrade.error_message = _("No active legacy Azure subscription was left to transition.")
        status_move(upgrade, UpgradeStatus.FAILED if failed else UpgradeStatus.COMPLETED,
                    fields=("finished_at", "error_code", "error_message"))
        audit_record(actor=actor, action=f"product_upgrade.{upgrade.status.lower()}", obj=upgrade,
                     subject=upgrade.customer, data={"completed": counts.get(UpgradeLineStatus.COMPLETED, 0),
                                                     "failed": failed})
        batch_id = upgrade.batch_id
    if batch_id:
        batch_refresh(batch_id)
    return upgrade



def batch_refresh(job_id) -> Job:
    """Recount the batch from its upgrades (absolute counts, so a repeated task never double-counts) and finish it
    when every customer is done. Its status moves by TRANSITION_BATCH_TRANSITIONS: a succeeded batch whose failed
    customer is retried runs again (succeeded -> running) and succeeds again once that customer is done; a cancelled
    batch keeps its status and only its counts change."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        upgrades = ProductUpgrade.objects.filter(batch_id=job_id)
        by_status = dict(upgrades.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        lines = dict(ProductUpgradeLine.objects.filter(upgrade__batch_id=job_id).values_list("status")
                     .annotate(n=Count("id")).values_list("status", "n"))
        finished = sum(by_status.get(s, 0) for s in (UpgradeStatus.COMPLETED, UpgradeStatus.FAILED,
                                                      UpgradeStatus.CANCELLED))
        job.done = min(finished, job.total)
        job.failures = by_status.get(UpgradeStatus.FAILED, 0)
        job.result = {**job.result, "customersCompleted": by_status.get(UpgradeStatus.COMPLETED, 0),
                      "customersFailed": by_status.get(UpgradeStatus.FAILED, 0),
                      "customersCancelled": by_status.get(UpgradeStatus.CANCELLED, 0),
                      "customersInProgress": by_status.get(UpgradeStatus.IN_PROGRESS, 0),
                      "customersPending": by_status.get(UpgradeStatus.PENDING, 0),
                      "linesMoved": lines.get(UpgradeLineStatus.COMPLETED, 0),
                      "linesFailed": lines.get(UpgradeLineStatus.FAILED, 0),
                      "linesPending": lines.get(UpgradeLineStatus.PENDING, 0)}
        counted = ("done", "failures", "result", "finished_at")
        if job.status == JobStatus.RUNNING and finished >= job.total:
            job.finished_at = timezone.now()
            status_move(job, JobStatus.SUCCEEDED, table=TRANSITION_BATCH_TRANSITIONS, fields=counted)
        elif job.status == JobStatus.SUCCEEDED and finished < job.total:
            job.finished_at = None  # a retried customer runs again: the batch is reopened
            status_move(job, JobStatus.RUNNING, table=TRANSITION_BATCH_TRANSITIONS, fields=counted)
        else:
            job.save(update_fields=counted)
    return job



# ---------------------------------------------------------------- resuming after a lost worker


def resume_stalled_upgrades(*, older_than_seconds=None, limit=5000) -> int:
    """The periodic task: an upgrade in progress whose worker died with the whole machine (its message may only
    come back after the broker's visibility timeout) is run again once its heartbeat is older than
    TRANSITION_STALL_SECONDS. A pending upgrade that old is sent again when its message looks lost: it is not part of
    a batch whose other customers are still making progress (a long batch's queue is simply still draining)."""
    seconds = older_than_seconds if older_than_seconds is not None else settings.TRANSITION_STALL_SECONDS
    now = timezone.now()
    cutoff = now - timedelta(seconds=seconds)
    draining = ProductUpgrade.objects.filter(batch__isnull=False, heartbeat_at__gte=cutoff).values("batch_id")
    quiet = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    stalled = (Q(status=UpgradeStatus.IN_PROGRESS, heartbeat_at__lt=cutoff)
               | (Q(status=UpgradeStatus.PENDING, created_at__lt=cutoff) & quiet
                  & (Q(batch__isnull=True) | ~Q(batch_id__in=draining))))
    with transaction.atomic():
        ids = list(ProductUpgrade.objects.select_for_update(skip_locked=True).filter(stalled).order_by("pk")
                   .values_list("pk", flat=True)[:limit])
        ProductUpgrade.objects.filter(pk__in=ids).update(heartbeat_at=now)
        for pk in ids:
            _enqueue(pk)
    return len(ids)
