"""Every read of legacy Azure and its transitions, scoped to the caller (pages and the API alike).

Legacy subscriptions follow their customer (an indirect reseller sees those it is the reseller of record of);
upgrades and batches are the selling partner's only. A foreign, unknown or malformed id answers 404.
"""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from accounts.choices import Tier
from accounts.permissions import Perm, allowed, require
from core.models import Job
from core.tenancy import get_for_actor_or_404

from ..choices import LegacyStatus, UpgradeLineStatus, UpgradeStatus
from ..errors import UpgradeNotFound
from ..models import LegacyImport, LegacySubscription, ProductUpgrade, ProductUpgradeLine
from .rules import AZURE_SUBSCRIPTION_NAME_MAX, BATCH_KIND

NAME_ERROR_CODE = "800002"  # a line that failed because its name is too long for an Azure subscription


def legacy_list(*, actor, customer, include_transitioned=True) -> list[LegacySubscription]:
    """The customer's legacy MS-AZR-0145P subscriptions, oldest first."""
    require(actor, Perm.VIEW_CUSTOMERS)
    rows = LegacySubscription.objects.for_actor(actor).filter(customer=customer).select_related(
        "customer__country", "reseller", "azure_subscription__plan")
    if not include_transitioned:
        rows = rows.filter(status=LegacyStatus.ACTIVE)
    return list(rows.order_by("created_date", "id"))


LEGACY_ORDERING = ("created_date", "id")


def legacy_rows(*, actor, customer, order_id="", partner_id=""):
    """The customer's legacy subscriptions as a queryset sorted by LEGACY_ORDERING, with Partner Center's `order_id`
    and `mpn_id` filters of the subscriptions list, for seek paging."""
    import uuid

    require(actor, Perm.VIEW_CUSTOMERS)
    rows = LegacySubscription.objects.for_actor(actor).filter(customer=customer).select_related(
        "customer__country", "reseller", "azure_subscription__plan")
    order_id, partner_id = (order_id or "").strip(), (partner_id or "").strip()
    if order_id:
        try:
            rows = rows.filter(order_id=uuid.UUID(order_id))
        except ValueError:
            return rows.none()
    if partner_id:
        rows = rows.filter(reseller__partner_id=partner_id)
    return rows.order_by(*LEGACY_ORDERING)


def legacy_get(*, actor, customer, subscription_id) -> LegacySubscription:
    """By its commerce subscription id (404 1000 when unknown or foreign)."""
    require(actor, Perm.VIEW_CUSTOMERS)
    return get_for_actor_or_404(LegacySubscription.objects.select_related("customer__country", "reseller",
                                                                          "azure_subscription__plan"),
                                actor, customer=customer, public_id=str(subscription_id).strip())


def legacy_get_by_id(*, actor, public_id) -> LegacySubscription:
    require(actor, Perm.VIEW_CUSTOMERS)
    return get_for_actor_or_404(LegacySubscription.objects.select_related("customer"), actor, public_id=public_id)


def legacy_failed_to_move(*, actor, legacy) -> bool:
    """Whether a transition failed for legacy subscription `legacy` and it has not moved since (a retry can move
    it)."""
    require(actor, Perm.VIEW_CUSTOMERS)
    return (not legacy.is_transitioned
            and ProductUpgradeLine.objects.filter(legacy=legacy, status=UpgradeLineStatus.FAILED).exists())


def import_list(*, actor, limit=20) -> list[LegacyImport]:
    require(actor, Perm.VIEW_CUSTOMERS)
    return list(LegacyImport.objects.for_actor(actor).select_related("created_by").order_by("-created_at", "-id")[:limit])


def _upgrades():
    return ProductUpgrade.objects.select_related("customer", "batch").prefetch_related(
        Prefetch("lines", queryset=ProductUpgradeLine.objects.select_related(
            "legacy", "plan", "azure_subscription").order_by("id")))


def upgrade_get(*, actor, upgrade_id, customer=None) -> ProductUpgrade:
    """An upgrade by id with its lines. `customer` given (the status route's body): an upgrade of another customer
    of the partner is 400 900111, as Partner Center answers."""
    require(actor, Perm.VIEW_CUSTOMERS)
    from django.core.exceptions import ValidationError

    try:
        upgrade = _upgrades().for_actor(actor).get(public_id=str(upgrade_id).strip())
    except (ProductUpgrade.DoesNotExist, ValueError, TypeError, ValidationError):
        raise UpgradeNotFound(parameters={"upgradeId": str(upgrade_id)}) from None
    if customer is not None and upgrade.customer_id != customer.pk:
        from ..errors import UpgradeError

        raise UpgradeError(_("The upgrade id doesn't belong to customer %(customer)s.") % {"customer": customer.tenant_id},
                           status=400, code=900111, parameters={"upgradeId": str(upgrade.public_id)})
    return upgrade


def upgrade_latest(*, actor, customer) -> ProductUpgrade | None:
    """The customer's most recent upgrade (open or finished), with its lines; None when it never had one."""
    require(actor, Perm.VIEW_CUSTOMERS)
    return _upgrades().for_actor(actor).filter(customer=customer).exclude(status=UpgradeStatus.CANCELLED).order_by(
        "-created_at", "-id").first()


def batch_get(*, actor, public_id) -> Job:
    require(actor, Perm.VIEW_CUSTOMERS)
    return get_for_actor_or_404(Job.objects.filter(kind=BATCH_KIND), actor, public_id=public_id)


def batch_list(*, actor, limit=20) -> list[Job]:
    require(actor, Perm.VIEW_CUSTOMERS)
    return list(Job.objects.for_actor(actor).filter(kind=BATCH_KIND).order_by("-created_at", "-id")[:limit])


def batch_failures(*, actor, job, limit=200) -> list[ProductUpgradeLine]:
    """The failed lines of a batch, with their customer and reason (customer, then subscription)."""
    return list(ProductUpgradeLine.objects.filter(upgrade__batch_id=job.pk, upgrade__customer__organisation_id=
                                                  actor.organisation_id, status=UpgradeLineStatus.FAILED)
                .select_related("upgrade__customer", "legacy").order_by("upgrade__customer__company_name", "id")[:limit])


def batch_upgrades(*, actor, job, status=None, limit=200) -> list[ProductUpgrade]:
    rows = ProductUpgrade.objects.filter(batch_id=job.pk, customer__organisation_id=actor.organisation_id)
    if status:
        rows = rows.filter(status=status)
    return list(rows.select_related("customer").annotate(
        moved=Count("lines", filter=Q(lines__status=UpgradeLineStatus.COMPLETED)),
        failed=Count("lines", filter=Q(lines__status=UpgradeLineStatus.FAILED))).order_by("customer__company_name",
                                                                                           "id")[:limit])


def legacy_customers(*, actor, limit=500):
    """The partner's customers that have (or had) legacy subscriptions, with counts: active, transitioned, and
    their latest upgrade's status. A fixed number of queries."""
    from customers.models import Customer

    require(actor, Perm.VIEW_CUSTOMERS)
    # An indirect reseller counts only the subscriptions it is the reseller of record of.
    mine = Q(legacy_subscriptions__reseller_id=actor.organisation_id) if actor.tier == "indirect_reseller" else Q()
    customers = (Customer.objects.for_actor(actor).filter(Q(legacy_subscriptions__isnull=False) & mine)
                 .annotate(legacy_active=Count("legacy_subscriptions",
                                               filter=Q(legacy_subscriptions__status=LegacyStatus.ACTIVE) & mine,
                                               distinct=True),
                           legacy_moved=Count("legacy_subscriptions",
                                              filter=Q(legacy_subscriptions__transitioned_at__isnull=False) & mine,
                                              distinct=True))
                 .select_related("country").order_by("company_name", "id").distinct()[:limit])
    customers = list(customers)
    latest = {}
    # Upgrades are the selling partner's: an indirect reseller sees none (for_actor).
    for upgrade in ProductUpgrade.objects.for_actor(actor).filter(customer__in=customers).exclude(
            status=UpgradeStatus.CANCELLED).order_by("customer_id", "-created_at", "-id").distinct("customer_id"):
        latest[upgrade.customer_id] = upgrade
    for customer in customers:
        customer.latest_upgrade = latest.get(customer.pk)
    return customers


@dataclass(frozen=True)
class LegacySection:
    """What the customer page's "Legacy Azure" section shows, rules applied. Each subscription carries
    `name_too_long` (it cannot move under its name) and `renamable` (a rename form goes in its row); each line of the
    latest upgrade `needs_rename` (it failed on its name and the person may rename it: the form goes beside the line)
    and `name_fits_now` (renamed since, so a retry moves it); the upgrade `done_count` and `percent`."""

    subs: list
    upgrade: ProductUpgrade | None  # the latest not cancelled (an indirect reseller sees none: they are the provider's)
    lines: list
    too_long: int
    active_count: int
    has_reseller: bool
    any_failed: bool
    upgrade_open: bool  # running, or failed with lines to retry: shown below, no start block above it
    completed: bool
    failed: bool

    @property
    def polling(self):
        return self.upgrade is not None and self.upgrade.is_open


def legacy_section(*, actor, customer) -> LegacySection | None:
    """The customer's legacy subscriptions and latest transition as the customer page shows them; None when the
    customer has no legacy subscription. A fixed number of queries."""
    subs = legacy_list(actor=actor, customer=customer)
    if not subs:
        return None
    upgrade = upgrade_latest(actor=actor, customer=customer) if actor.tier != Tier.INDIRECT_RESELLER else None
    can_rename = allowed(actor, Perm.IMPORT_LEGACY_AZURE)
    lines = list(upgrade.lines.all()) if upgrade is not None else []
    for line in lines:
        # A line that failed on its name keeps its rename form (to correct a typo before the retry), and says when
        # the name fits now instead of repeating the old reason.
        name_failure = (line.status == UpgradeLineStatus.FAILED and line.error_code == NAME_ERROR_CODE
                        and not line.legacy.is_transitioned)
        line.needs_rename = name_failure and can_rename
        line.name_fits_now = name_failure and len(line.legacy.friendly_name) <= AZURE_SUBSCRIPTION_NAME_MAX
    renamed_in_lines = {line.legacy_id for line in lines if line.needs_rename}
    for sub in subs:
        movable = sub.status == LegacyStatus.ACTIVE and not sub.is_transitioned
        # (A subscription whose line already failed on its name says so beside that line, with its form.)
        sub.name_too_long = (movable and len(sub.friendly_name) > AZURE_SUBSCRIPTION_NAME_MAX
                             and sub.pk not in renamed_in_lines)
        sub.renamable = movable and can_rename and sub.pk not in renamed_in_lines
    if upgrade is not None:
        upgrade.done_count = sum(1 for line in lines if line.status != UpgradeLineStatus.PENDING)
        upgrade.percent = int(upgrade.done_count * 100 / len(lines)) if lines else (0 if upgrade.is_open else 100)
    status = upgrade.status if upgrade is not None else None
    return LegacySection(
        subs=subs, upgrade=upgrade, lines=lines,
        too_long=sum(1 for s in subs if s.name_too_long),
        active_count=sum(1 for s in subs if s.status == LegacyStatus.ACTIVE),
        has_reseller=any(s.reseller_id for s in subs),
        any_failed=any(line.status == UpgradeLineStatus.FAILED for line in lines),
        upgrade_open=status in (UpgradeStatus.PENDING, UpgradeStatus.IN_PROGRESS, UpgradeStatus.FAILED),
        completed=status == UpgradeStatus.COMPLETED, failed=status == UpgradeStatus.FAILED,
    )
