"""Every write of legacy Azure besides the import and the run itself: eligibility, starting one customer's
transition, retries, renames, batches of customers and their cancellation (domain.md §2.9). The run is
azureplan.legacy.transition's; the import azureplan.legacy.importer's."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Tier
from accounts.permissions import Perm, require
from agreements.services import mca_confirmed
from core.audit import audit_record
from core.errors import Conflict, InvalidInput, NotFound
from core.jobs import job_create
from core.models import Job, JobStatus
from core.status import allowed_from, status_move
from core.tenancy import get_for_actor_or_404

from ..choices import (
    TRANSITION_BATCH_TRANSITIONS,
    LegacyStatus,
    UpgradeLineStatus,
    UpgradeStatus,
)
from ..errors import UpgradeError
from ..models import (
    LegacySubscription,
    ProductUpgrade,
    ProductUpgradeLine,
)
from .rules import BATCH_KIND, active_legacy_count
from .transition import _enqueue, batch_refresh, lines_worth_retrying

# ---------------------------------------------------------------- eligibility


@dataclass
class Eligibility:
    customer: object
    is_eligible: bool
    reason: str = ""
    code: int | None = None
    upgrade: ProductUpgrade | None = None
    legacy_active: int = 0
    status: int = 403

    @property
    def upgrade_id(self):
        return self.upgrade.public_id if self.upgrade else None


def _open_upgrade(customer):
    return ProductUpgrade.objects.filter(customer=customer, status__in=[
        UpgradeStatus.PENDING, UpgradeStatus.IN_PROGRESS, UpgradeStatus.FAILED]).first()


def upgrade_eligibility(*, actor, customer) -> Eligibility:
    """Whether the customer can transition now, and why not (the reasons of domain.md §2.9, with the code a
    start would answer). The caller found `customer` through customers.selectors (a foreign one is 404)."""
    require(actor, Perm.VIEW_CUSTOMERS)
    if actor.tier == Tier.INDIRECT_RESELLER or customer.organisation_id != actor.organisation_id:
        return Eligibility(customer, False, _("An indirect reseller can't transition its customers: its indirect "
                                              "provider starts the transition."), 900123)
    if not customer.has_relationship:
        return Eligibility(customer, False, _("There is no reseller relationship with %(customer)s: invite the "
                                              "customer again first.") % {"customer": customer.company_name}, 900159)
    if not mca_confirmed(customer):
        return Eligibility(customer, False, _("%(customer)s has not accepted the Microsoft Customer Agreement: attest "
                                              "it on the customer's page first.") % {"customer": customer.company_name},
                           900120)
    active = active_legacy_count(customer)
    upgrade = _open_upgrade(customer)
    if upgrade is not None and upgrade.status == UpgradeStatus.FAILED:
        return Eligibility(customer, False, _("Upgrade %(id)s finished with failed subscriptions: retry them.")
                           % {"id": upgrade.public_id}, 900114, upgrade, active, status=409)
    if upgrade is not None:
        return Eligibility(customer, False, _("Upgrade %(id)s is already in progress.") % {"id": upgrade.public_id},
                           900109, upgrade, active, status=409)
    if not active:
        return Eligibility(customer, False, _("%(customer)s has no active legacy Azure (MS-AZR-0145P) subscription "
                                              "to transition.") % {"customer": customer.company_name}, 900108,
                           legacy_active=0)
    return Eligibility(customer, True, legacy_active=active)


# ---------------------------------------------------------------- starting


def _start(actor, customer, batch=None) -> ProductUpgrade:
    """Create the upgrade row; the partial unique index makes a concurrent start find the first one."""
    try:
        with transaction.atomic():
            upgrade = ProductUpgrade.objects.create(customer=customer, batch=batch, created_by_id=actor.user_id,
                                                    created_credential_id=actor.credential_id,
                                                    created_label=actor.label[:255], request_id=actor.request_id)
            audit_record(actor=actor, action="product_upgrade.created", obj=upgrade, subject=customer,
                         data={"batch": str(batch.public_id) if batch else None})
    except IntegrityError:
        existing = _open_upgrade(customer)
        if existing is None:
            raise
        raise UpgradeError(_("Upgrade %(id)s is already in progress.") % {"id": existing.public_id}, status=409,
                           code=900109, error_name="UpgradeInProgress",
                           parameters={"upgradeId": str(existing.public_id)}) from None
    return upgrade


def _refuse_resellers(actor):
    """Partner Center's own answer to an indirect reseller (900123) before the generic role refusal (2032)."""
    if actor.tier == Tier.INDIRECT_RESELLER:
        raise UpgradeError(_("An indirect reseller can't transition its customers: its indirect provider starts the "
                             "transition."), code=900123, error_name="IndirectResellerCannotUpgrade")


def upgrade_start(*, actor, customer) -> ProductUpgrade:
    """POST /v1/productUpgrades: start one customer's transition (it runs in the background)."""
    _refuse_resellers(actor)
    require(actor, Perm.TRANSITION_LEGACY_AZURE)
    eligibility = upgrade_eligibility(actor=actor, customer=customer)
    if not eligibility.is_eligible:
        params = {"customerId": str(customer.tenant_id)}
        if eligibility.upgrade_id:
            params["upgradeId"] = str(eligibility.upgrade_id)
        raise UpgradeError(eligibility.reason, code=eligibility.code, status=eligibility.status, parameters=params)
    with transaction.atomic():
        upgrade = _start(actor, customer)
        _enqueue(upgrade.pk)
    return upgrade


# ---------------------------------------------------------------- retrying


def upgrade_retry(*, actor, upgrade, line_ids=None) -> ProductUpgrade:
    """Retry the failed lines of a failed upgrade (all, or those named): they go back to pending and the upgrade
    runs again in the background."""
    require(actor, Perm.TRANSITION_LEGACY_AZURE)
    with transaction.atomic():
        upgrade = get_for_actor_or_404(ProductUpgrade.objects.select_for_update(of=("self",)).select_related(
            "customer"), actor, pk=upgrade.pk)
        if upgrade.status != UpgradeStatus.FAILED:
            completed = upgrade.status == UpgradeStatus.COMPLETED
            raise UpgradeError(_("Only a failed upgrade can be retried; this one is %(status)s.")
                               % {"status": upgrade.get_status_display().lower()}, status=400 if completed else 409,
                               code=900110 if completed else 900109)
        failed = upgrade.lines.filter(status=UpgradeLineStatus.FAILED, legacy__transitioned_at__isnull=True)
        if line_ids is not None:
            failed = failed.filter(legacy__public_id__in=list(line_ids))
        failed = list(failed.select_related("legacy"))
        if not failed:
            raise InvalidInput(_("None of the named subscriptions is a failed line of this upgrade."), field="lineItems")
        worth = lines_worth_retrying(failed)
        if not worth:
            raise UpgradeError(_("Nothing changed since these subscriptions failed: a retry would fail the same way. "
                                 "Fix the cause first (for example, rename a subscription whose name is too long)."),
                               status=400, code=900114)
        count = ProductUpgradeLine.objects.filter(
            pk__in=[line.pk for line in worth],
            status__in=allowed_from(ProductUpgradeLine, UpgradeLineStatus.PENDING)).update(status=UpgradeLineStatus.PENDING)
        upgrade.finished_at = None
        upgrade.heartbeat_at = timezone.now()
        status_move(upgrade, UpgradeStatus.IN_PROGRESS, fields=("finished_at", "heartbeat_at"))
        audit_record(actor=actor, action="product_upgrade.retried", obj=upgrade, subject=upgrade.customer,
                     data={"lines": count})
        _enqueue(upgrade.pk)
    if upgrade.batch_id:
        transaction.on_commit(lambda: batch_refresh(upgrade.batch_id))
    return upgrade


def legacy_rename(*, actor, legacy, name, expected_etag=None) -> LegacySubscription:
    """Rename a legacy subscription not yet moved (e.g. to fit an Azure subscription's 64 characters).
    `expected_etag` (If-Match) is compared under the row lock: stale is 412."""
    require(actor, Perm.IMPORT_LEGACY_AZURE)
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise InvalidInput(_("The friendly name is 1 to 128 characters."), field="friendlyName")
    with transaction.atomic():
        legacy = get_for_actor_or_404(LegacySubscription.objects.select_for_update(of=("self",)).select_related(
            "customer"), actor, pk=legacy.pk)
        if legacy.customer.organisation_id != actor.organisation_id:
            raise NotFound()
        from core.api.etag import check_etag

        check_etag(legacy, expected_etag)
        if legacy.is_transitioned:
            raise InvalidInput(_("This subscription already moved to the Azure plan: rename the Azure subscription "
                                 "instead."), field="friendlyName")
        old, legacy.friendly_name = legacy.friendly_name, name
        legacy.version += 1
        legacy.save()
        audit_record(actor=actor, action="legacy_subscription.renamed", obj=legacy, subject=legacy.customer,
                     data={"from": old, "to": name})
    return legacy


# ---------------------------------------------------------------- batches


@dataclass
class BatchStart:
    job: Job
    started: int
    skipped: list = field(default_factory=list)  # [{"customerId", "companyName", "reason", "code"}]


def batch_start(*, actor, customers=None, all_eligible=False) -> BatchStart:
    """Start one batch for the selected customers (found by the caller through customers.selectors) or for every
    eligible customer. Each eligible customer gets its upgrade, run as its own Celery task; the batch's Job row
    counts customers done, lines moved and failures. Customers that are not eligible are skipped with their
    reason; a batch with none to start is refused."""
    _refuse_resellers(actor)
    require(actor, Perm.TRANSITION_LEGACY_AZURE)
    from customers.models import Customer

    if all_eligible:
        customers = list(Customer.objects.filter(
            organisation_id=actor.organisation_id, legacy_subscriptions__status=LegacyStatus.ACTIVE).distinct()
            .select_related("organisation"))
    customers = list(customers or [])
    if not customers:
        raise InvalidInput(_("Choose at least one customer with active legacy Azure subscriptions."), field="customers")
    eligible, skipped = eligibility_in_bulk(actor, customers)
    if not eligible:
        code = skipped[0]["code"]
        raise UpgradeError(_("None of the chosen customers can transition now: %(reason)s")
                           % {"reason": skipped[0]["reason"]}, code=code,
                           status=409 if code in (900109, 900114) else 403, parameters={"skipped": skipped[:50]})
    with transaction.atomic():
        job = job_create(organisation_id=actor.organisation_id, kind=BATCH_KIND, total=len(eligible),
                         params={"allEligible": bool(all_eligible), "customers": len(customers)},
                         created_by_id=actor.user_id)
        from core.jobs import job_start

        job_start(job.pk)
        now = timezone.now()
        # A customer started meanwhile (another batch or person) keeps its upgrade: the partial unique index refuses
        # ours, which is then skipped, never a 500.
        ProductUpgrade.objects.bulk_create([
            ProductUpgrade(customer=c, batch=job, created_by_id=actor.user_id,
                           created_credential_id=actor.credential_id, created_label=actor.label[:255],
                           request_id=actor.request_id, created_at=now) for c in eligible], ignore_conflicts=True)
        upgrades = list(ProductUpgrade.objects.filter(batch=job).values_list("pk", "customer_id"))
        started_ids = {customer_id for _pk, customer_id in upgrades}
        for c in eligible:
            if c.pk not in started_ids:
                skipped.append({"customerId": str(c.tenant_id), "companyName": c.company_name, "code": 900109,
                                "reason": str(_("An upgrade was started for this customer at the same moment."))})
        if not upgrades:
            raise UpgradeError(_("None of the chosen customers can transition now: %(reason)s")
                               % {"reason": skipped[0]["reason"]}, status=409, code=900109,
                               parameters={"skipped": skipped[:50]})
        job.total = len(upgrades)
        job.params = {**job.params, "skipped": skipped[:500]}
        job.save(update_fields=["total", "params"])
        audit_record(actor=actor, action="transition_batch.started", obj=job, object_type="core.Job",
                     data={"customers": len(upgrades), "skipped": len(skipped)})
        for pk, _customer_id in upgrades:
            _enqueue(pk)
    job.refresh_from_db()
    return BatchStart(job, job.total, skipped)


def eligibility_in_bulk(actor, customers):
    """The eligibility of many customers in a fixed number of queries (the same rules as upgrade_eligibility)."""
    from agreements.selectors import mca_confirmed_ids

    ids = [c.pk for c in customers]
    with_mca = mca_confirmed_ids(ids)
    active = dict(LegacySubscription.objects.filter(customer_id__in=ids, status=LegacyStatus.ACTIVE)
                  .values_list("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))
    open_upgrades = {u.customer_id: u for u in ProductUpgrade.objects.filter(
        customer_id__in=ids, status__in=[UpgradeStatus.PENDING, UpgradeStatus.IN_PROGRESS, UpgradeStatus.FAILED])}
    eligible, skipped = [], []
    for c in customers:
        reason = None
        if actor.tier == Tier.INDIRECT_RESELLER or c.organisation_id != actor.organisation_id:
            reason = (900123, _("An indirect reseller can't transition its customers."))
        elif not c.has_relationship:
            reason = (900159, _("No reseller relationship."))
        elif c.pk not in with_mca:
            reason = (900120, _("The Microsoft Customer Agreement is not confirmed."))
        elif c.pk in open_upgrades:
            u = open_upgrades[c.pk]
            if u.status == UpgradeStatus.FAILED:
                reason = (900114, _("Its last transition failed: retry it from the customer's page."))
            elif u.status == UpgradeStatus.PENDING:
                reason = (900109, _("A transition is already waiting to start."))
            else:
                reason = (900109, _("A transition is already running."))
        elif not active.get(c.pk):
            reason = (900108, _("No active legacy Azure subscription."))
        if reason:
            skipped.append({"customerId": str(c.tenant_id), "companyName": c.company_name, "code": reason[0],
                            "reason": str(reason[1])})
        else:
            eligible.append(c)
    return eligible, skipped


def batch_cancel(*, actor, job) -> Job:
    """Cancel the customers of a batch not yet started; those already running finish. A finished batch cannot be
    cancelled (409)."""
    require(actor, Perm.TRANSITION_LEGACY_AZURE)
    with transaction.atomic():
        job = get_for_actor_or_404(Job.objects.select_for_update().filter(kind=BATCH_KIND), actor, pk=job.pk)
        if job.status != JobStatus.RUNNING:
            raise Conflict(_("This batch is %(status)s: only a running batch can be cancelled.")
                           % {"status": job.get_status_display().lower()}, code=990040, error_name="BatchFinished")
        cancelled = 0
        now = timezone.now()
        for upgrade in ProductUpgrade.objects.select_for_update(skip_locked=True).filter(
                batch_id=job.pk, status=UpgradeStatus.PENDING):
            upgrade.finished_at = now
            status_move(upgrade, UpgradeStatus.CANCELLED, fields=("finished_at",))
            cancelled += 1
        job.finished_at = now
        job.result = {**job.result, "cancelledCustomers": cancelled}
        status_move(job, JobStatus.CANCELLED, table=TRANSITION_BATCH_TRANSITIONS, fields=("finished_at", "result"))
        audit_record(actor=actor, action="transition_batch.cancelled", obj=job, object_type="core.Job",
                     data={"customers": cancelled})
    # Keep the counts true (the cancelled job keeps its status: batch_refresh only finishes running ones).
    return batch_refresh(job.pk)
