"""Simulated usage for the demo (`python manage.py simulate_usage`, and `make run` through billing/demo.py): a month
that lives.

For each selling organisation (direct-bill partner or indirect provider) the Azure subscriptions of its customers'
Azure plans consume, day by day, meters of the partner market's consumption price list (billing/usage/generator.py),
from the first day of the month before this one (or `days` back) to yesterday (unbilled usage arrives a day late,
domain.md §3.6.4), on the days each subscription existed. The file, Microsoft's daily rated usage CSV, goes through
the usage import exactly as an uploaded one (`billing.usage.services.usage_import_file`), which rates it.

One demo Azure subscription loses partner earned credit mid-month: the customer removed the partner's Owner (AOBO)
assignment on the 15th (of this month once that is past, else of the month before), recorded through azureplan's
role assignment service (audited). Everything is idempotent: a day is generated the same way by every run, so a
second run imports 0 new rows, and the Owner assignment is removed once (not again when a run finds it removed).
"""

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field

from django.utils import timezone

from ..errors import UsageSimulationRefused as SimulationError
from .generator import Customer, MeterCatalog, Partner, Subscription, UsageGenerator, meter_catalog
from .partitions import month_start

DEMO_SEED = 20261201
# The demo Azure subscription whose Owner assignment the customer removes mid-month (azureplan/demo.py creates it).
PEC_LOSS = ("fabrikam-example.onmicrosoft.com", "Development")
PEC_LOSS_DAY = 15


@dataclass
class SimulationResult:
    first_day: dt.date
    last_day: dt.date
    files: list[dict] = field(default_factory=list)  # {organisation, file_name, lines, path?, import?}
    role_removal: str = ""  # what happened to the demo's Owner assignment

    def lines(self) -> int:
        return sum(f["lines"] for f in self.files)


def usage_window(today: dt.date, days: int | None = None) -> tuple[dt.date, dt.date]:
    """(first day, last day): `days` days back from today up to yesterday; by default from the first day of the month
    before today's (that month in full and this month to date)."""
    last = today - dt.timedelta(days=1)
    if days is None:
        first = month_start(month_start(today) - dt.timedelta(days=1))
    else:
        if days < 1:
            raise SimulationError("--days is 1 or more.")
        first = today - dt.timedelta(days=days)
    return first, last


def demo_organisations():
    """The demo's selling organisations (accounts/demo.py) that exist here."""
    from accounts.choices import Tier
    from accounts.demo import ORGANISATIONS
    from accounts.models import Organisation

    tenants = [spec["tenant_id"] for spec in ORGANISATIONS]
    return list(Organisation.objects.filter(tenant_id__in=tenants)
                .exclude(tier=Tier.INDIRECT_RESELLER).order_by("pk"))


def describe(organisation, first_day: dt.date, last_day: dt.date) -> tuple[Partner, list[Customer]]:
    """The generator's description of an organisation's Azure estate: its customers' Azure plans and the days each
    Azure subscription existed inside the window (created, until the day before it was cancelled). Active
    subscriptions come first, so the first subscription (Spot and third-party software) is a running one."""
    from azureplan.models import AzurePlan

    partner = Partner(tenant_id=str(organisation.tenant_id), name=organisation.name,
                      mpn_id=organisation.partner_id or "")
    customers = []
    plans = (AzurePlan.objects.filter(customer__organisation=organisation)
             .exclude(activated_at__isnull=True).select_related("customer")
             .prefetch_related("azure_subscriptions").order_by("customer__domain", "created_at", "pk"))
    for plan in plans:
        subs = []
        for sub in sorted(plan.azure_subscriptions.all(), key=lambda s: (s.cancelled_at is not None, s.created_at,
                                                                         s.pk)):
            first = timezone.localdate(sub.created_at, dt.UTC)
            last = None
            if sub.cancelled_at is not None:
                last = timezone.localdate(sub.cancelled_at, dt.UTC) - dt.timedelta(days=1)
            if first > last_day or (last is not None and last < first_day) or (last is not None and last < first):
                continue
            subs.append(Subscription(entitlement_id=str(sub.subscription_id), name=sub.friendly_name,
                                     first_day=first, last_day=last))
        if subs:
            customer = plan.customer
            customers.append(Customer(tenant_id=str(customer.tenant_id), name=customer.company_name,
                                      domain=customer.domain, country=customer.country_id,
                                      plan_id=str(plan.public_id), subscriptions=tuple(subs)))
    return partner, customers


def catalog_for(organisation, first_day: dt.date, last_day: dt.date) -> MeterCatalog:
    months = []
    month = month_start(first_day)
    while month <= last_day:
        months.append(month)
        month = month_start(month + dt.timedelta(days=32))
    catalog = meter_catalog(market=organisation.country_id, months=months)
    if not len(catalog):
        raise SimulationError(
            f"No Azure plan consumption price list of market {organisation.country_id} prices every month from "
            f"{first_day:%Y-%m} to {last_day:%Y-%m}: import them first (make run loads the demo's).")
    return catalog


def remove_owner_mid_month(today: dt.date) -> str:
    """The demo customer removes the partner's Owner (AOBO) assignment from one Azure subscription on the 15th, at
    noon UTC: partner earned credit stops that day. Recorded once: nothing happens when that subscription already has
    a removed Owner assignment of the partner's Admin agents. Answers what happened, for the command's output."""
    from accounts.actors import system_actor
    from azureplan.choices import PrincipalType
    from azureplan.models import AzureSubscription, RoleAssignment
    from azureplan.plans.services import AOBO_ROLE, role_assignment_remove

    domain, name = PEC_LOSS
    sub = (AzureSubscription.objects.filter(plan__customer__domain=domain, friendly_name=name)
           .select_related("plan__customer__organisation").order_by("created_at").first())
    if sub is None:
        return ""
    owners = RoleAssignment.objects.filter(azure_subscription=sub, principal_type=PrincipalType.PARTNER_ADMIN_AGENTS,
                                           role__name=AOBO_ROLE)
    if owners.filter(removed_at__isnull=False).exists():
        return f"{name} ({domain}): the Owner assignment was already removed."
    owner = owners.filter(removed_at__isnull=True).order_by("granted_at").first()
    if owner is None:
        return ""
    yesterday = today - dt.timedelta(days=1)
    month = month_start(yesterday)
    if yesterday.day < PEC_LOSS_DAY:
        month = month_start(month - dt.timedelta(days=1))
    when = dt.datetime.combine(month.replace(day=PEC_LOSS_DAY), dt.time(12, 0), tzinfo=dt.UTC)
    if when < owner.granted_at:
        return f"{name} ({domain}): the Owner assignment was granted after {when:%Y-%m-%d}; it is kept."
    organisation = sub.plan.customer.organisation
    role_assignment_remove(actor=system_actor(organisation, label="demo usage generator"), assignment=owner,
                           removed_at=when)
    return f"{name} ({domain}): the customer removed the Owner assignment on {when:%Y-%m-%d %H:%M} UTC."


def simulate_usage(*, organisations, today: dt.date | None = None, days: int | None = None, seed: int = DEMO_SEED,
                   out_dir: str | None = None, remove_owner: bool = True) -> SimulationResult:
    """Generate each organisation's daily rated usage file for the window and import it (or, with `out_dir`, only
    write the files there). The demo's Owner removal happens first, so the import's rating sees it."""
    today = today or timezone.now().date()
    first, last = usage_window(today, days)
    result = SimulationResult(first_day=first, last_day=last)
    if not organisations:
        raise SimulationError("No organisation to simulate: load the demo (manage.py load_demo) or name one.")
    if last < first:
        return result
    work = []
    for organisation in organisations:
        partner, customers = describe(organisation, first, last)
        if customers:
            work.append((organisation, UsageGenerator(partner, customers, catalog_for(organisation, first, last),
                                                      seed=seed)))
    if remove_owner and out_dir is None:
        result.role_removal = remove_owner_mid_month(today)
    for organisation, generator in work:
        file_name = f"daily-rated-usage-{organisation.partner_id}-{first:%Y%m%d}-{last:%Y%m%d}.csv"
        entry = {"organisation": organisation.name, "file_name": file_name}
        if out_dir is not None:
            path = os.path.join(out_dir, file_name)
            with open(path, "wb") as out:
                entry["lines"] = generator.write(out, first, last)
            entry["path"] = path
        else:
            with tempfile.TemporaryFile() as out:
                entry["lines"] = generator.write(out, first, last)
                out.seek(0)
                entry["import"] = _import(organisation, out, file_name)
        result.files.append(entry)
    return result


def _import(organisation, fileobj, file_name):
    from accounts.actors import system_actor

    from .services import usage_import_file

    return usage_import_file(actor=system_actor(organisation, label="demo usage generator"), fileobj=fileobj,
                             file_name=file_name)
