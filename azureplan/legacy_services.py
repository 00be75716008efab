"""Every write of legacy Azure (MS-AZR-0145P) and its transition to the Azure plan (domain.md §2.9):
importing the legacy estate from CSV, eligibility, one customer's upgrade, batches of customers, retries
and cancellation.

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
4. finish: completed, or failed when a line failed (each failed line keeps its reason and can be retried).
"""

import csv
import hashlib
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.choices import Role, Tier
from accounts.models import Organisation
from accounts.permissions import Perm, require
from agreements.services import mca_confirmed
from core.actor import Actor
from core.audit import audit_record
from core.errors import Conflict, InvalidInput, NotFound, PartnerCenterError
from core.jobs import job_create
from core.models import AuditEvent, Job, JobStatus
from core.tenancy import get_for_actor_or_404

from . import services
from .choices import (
    UPGRADE_TRANSITIONS,
    AzureSubscriptionStatus,
    LegacyStatus,
    OrderStatus,
    PlanStatus,
    PrincipalType,
    UpgradeLineStatus,
    UpgradeStatus,
)
from .models import (
    AzurePlan,
    AzureRole,
    AzureSubscription,
    LegacyImport,
    LegacySubscription,
    ProductUpgrade,
    ProductUpgradeLine,
    RoleAssignment,
)

BATCH_KIND = "legacy_azure_transition"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000
AZURE_SUBSCRIPTION_NAME_MAX = 64
EARLIEST_CREATED_YEAR = 2008
TARGET_PRODUCT_NAME = "Microsoft Azure plan"
SOURCE_PRODUCT_NAME = "AzureSubscription"


# ---------------------------------------------------------------- errors (api reference §5, codes 9001xx)


class UpgradeError(PartnerCenterError):
    status = 403
    code = 900120
    error_name = "CannotProcessAzureUpgrade"
    default_description = _("Can't process the Azure upgrade.")


class UpgradeNotFound(PartnerCenterError):
    status = 404
    code = 900106
    error_name = "UpgradeNotFound"
    default_description = _("No upgrade request was found.")


class LegacyImportInvalid(PartnerCenterError):
    """400 / 800002 with `data`: one {line, field, reason} per bad row; nothing was imported."""

    status = 400
    code = 800002
    error_name = "LegacyImportInvalid"


def _count_legacy(customer, organisation) -> int:
    return LegacySubscription.objects.filter(customer=customer, customer__organisation=organisation,
                                             status=LegacyStatus.ACTIVE).count()


# A plan cannot be bought while active legacy subscriptions remain (900128): they transition instead.
if _count_legacy not in services.LEGACY_AZURE_COUNTERS:
    services.LEGACY_AZURE_COUNTERS.append(_count_legacy)


def _legacy_active_count(customer) -> int:
    return LegacySubscription.objects.filter(customer=customer, status=LegacyStatus.ACTIVE).count()


# Removing the reseller relationship counts active subscriptions; active legacy ones count too.
if _legacy_active_count not in services.ACTIVE_SUBSCRIPTION_COUNTERS:
    services.ACTIVE_SUBSCRIPTION_COUNTERS.append(_legacy_active_count)


# ---------------------------------------------------------------- import


@dataclass
class ImportResult:
    legacy_import: LegacyImport
    repeated: bool  # the same file was imported before: nothing was added
    added: int
    already_present: int


COLUMNS = {
    # wire name: the header spellings accepted (compared lower-case, without spaces, '_' and '-')
    "customerId": ("customerid", "customer", "customertenantid", "tenantid"),
    "subscriptionId": ("subscriptionid", "subscription", "id"),
    "friendlyName": ("friendlyname", "name", "subscriptionname"),
    "resellerPartnerId": ("resellerpartnerid", "reseller", "resellermpnid", "partneridonrecord", "resellerid"),
    "createdDate": ("createddate", "creationdate", "created"),
    "entitlementId": ("entitlementid", "azuresubscriptionid"),
    "roleAssignments": ("roleassignments", "roles"),
}
REQUIRED = ("customerId", "subscriptionId", "friendlyName", "resellerPartnerId", "createdDate")
TEMPLATE_HEADER = "customerId,subscriptionId,friendlyName,resellerPartnerId,createdDate,roleAssignments"
_HEADER_CLEAN = re.compile(r"[\s_\-]+")


def _header_map(header):
    """{wire name: column index}, and the errors of the header line."""
    wanted = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
    found, problems = {}, []
    for index, raw in enumerate(header):
        key = _HEADER_CLEAN.sub("", (raw or "").strip().lstrip("\ufeff").lower())
        name = wanted.get(key)
        if name is None:
            problems.append({"line": 1, "field": raw, "reason": _("Unknown column “%(column)s”. The columns are: "
                                                                   "%(columns)s.") % {"column": raw,
                                                                                      "columns": TEMPLATE_HEADER}})
        elif name in found:
            problems.append({"line": 1, "field": raw, "reason": _("Column %(column)s appears twice.")
                             % {"column": name}})
        else:
            found[name] = index
    for name in REQUIRED:
        if name not in found:
            problems.append({"line": 1, "field": name, "reason": _("The column %(column)s is missing.")
                             % {"column": name}})
    return found, problems


def _uuid(value):
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


def _created(value):
    value = (value or "").strip()
    parsed = None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = datetime.combine(day, time(), tzinfo=UTC) if day else None
    except ValueError:
        parsed = None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    if parsed is not None:
        try:
            parsed = parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            return None
        if parsed.year < EARLIEST_CREATED_YEAR:
            return None  # before Azure existed (and years before 1 in UTC would not even be storable)
    return parsed


def _role_assignments(raw, organisation, roles, resellers, problem):
    """`principalType:principalId:roleName` entries separated by `;`. Empty: the partner's Admin agents group
    as Owner, the access a legacy CSP subscription is created with (AOBO)."""
    admin_id, admin_name = services.admin_agents_principal(organisation)
    raw = (raw or "").strip()
    if not raw:
        return [{"principal_type": PrincipalType.PARTNER_ADMIN_AGENTS.value, "principal_id": admin_id,
                 "principal_name": admin_name, "role": services.AOBO_ROLE, "partner_id": organisation.pk}]
    result, seen = [], set()
    for entry in raw.split(";"):
        entry = entry.strip()
        if not entry:
            continue
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) != 3:
            return problem(_("“%(entry)s”: write each role assignment as principalType:principalId:roleName, "
                             "separated by ';'.") % {"entry": entry[:60]})
        kind, principal, role = parts
        if kind not in PrincipalType.values:
            return problem(_("“%(kind)s” is not a principal type (%(types)s).")
                           % {"kind": kind[:40], "types": ", ".join(PrincipalType.values)})
        if role not in roles:
            return problem(_("“%(role)s” is not an Azure built-in role.") % {"role": role[:60]})
        partner_id = None
        if kind == PrincipalType.PARTNER_ADMIN_AGENTS:
            principal, name, partner_id = admin_id, admin_name, organisation.pk
        elif kind == PrincipalType.INDIRECT_RESELLER:
            reseller = resellers.get(principal)
            if reseller is None:
                return problem(_("“%(id)s” is not the PartnerID of one of your indirect resellers.")
                               % {"id": principal[:20]})
            principal, name = services.admin_agents_principal(reseller)
            partner_id = reseller.pk
        else:
            if not principal or len(principal) > 100:
                return problem(_("The principal id of a %(kind)s is 1 to 100 characters.") % {"kind": kind})
            name = principal
        key = (principal, role)
        if key not in seen:
            seen.add(key)
            result.append({"principal_type": kind, "principal_id": principal, "principal_name": name, "role": role,
                           "partner_id": partner_id})
    return result


def _decode(content):
    if isinstance(content, str):
        text = content
    else:
        if len(content) > MAX_IMPORT_BYTES:
            raise LegacyImportInvalid(_("The file is larger than 20 MB: split it."), field="file",
                                      data=[{"line": 0, "field": "file", "reason": _("larger than 20 MB")}])
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise LegacyImportInvalid(_("The file is not UTF-8 text: save it as CSV (UTF-8)."), field="file",
                                      data=[{"line": 0, "field": "file", "reason": _("not UTF-8 text")}]) from None
    if "\x00" in text:
        raise LegacyImportInvalid(_("The file holds NUL bytes: it is not a CSV text file."), field="file",
                                  data=[{"line": 0, "field": "file", "reason": _("NUL bytes")}])
    return text.lstrip("\ufeff")


def legacy_import(*, actor, content, file_name="") -> ImportResult:
    """Import legacy subscriptions from CSV (`content`: bytes or text). All or nothing: any bad row and nothing
    is imported, the error's `data` lists every bad row (line, field, reason). A row already imported for the
    same customer is left as it is; the same file imported again adds nothing."""
    require(actor, Perm.IMPORT_LEGACY_AZURE)
    from customers.models import Customer

    if len(file_name or "") > 255:
        raise InvalidInput(_("The file name is at most 255 characters."), field="fileName")
    text = _decode(content)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    organisation = Organisation.objects.get(pk=actor.organisation_id)
    previous = LegacyImport.objects.filter(organisation=organisation, sha256=digest).first()
    if previous is not None:
        return ImportResult(previous, True, 0, previous.rows)

    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = list(reader)
    except csv.Error as exc:
        raise LegacyImportInvalid(_("The file is not valid CSV: %(error)s") % {"error": exc}, field="file",
                                  data=[{"line": 0, "field": "file", "reason": str(exc)}]) from None
    rows = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not rows:
        raise LegacyImportInvalid(_("The file is empty. Its first line names the columns: %(header)s.")
                                  % {"header": TEMPLATE_HEADER}, field="file",
                                  data=[{"line": 1, "field": "file", "reason": _("empty file")}])
    (_first, header), body = rows[0], rows[1:]
    columns, problems = _header_map(header)
    if problems:
        raise LegacyImportInvalid(_("The header line is wrong: nothing was imported."), field="file", data=problems)
    if not body:
        raise LegacyImportInvalid(_("The file has a header but no subscriptions."), field="file",
                                  data=[{"line": 1, "field": "file", "reason": _("no rows after the header")}])
    if len(body) > MAX_IMPORT_ROWS:
        raise LegacyImportInvalid(_("At most %(n)s rows per file: split it.") % {"n": MAX_IMPORT_ROWS}, field="file",
                                  data=[{"line": 0, "field": "file", "reason": _("too many rows")}])

    def cell(row, name):
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    tenant_ids = {_uuid(cell(row, "customerId")) for _n, row in body} - {None}
    customers = {c.tenant_id: c for c in Customer.objects.filter(organisation=organisation, tenant_id__in=tenant_ids)}
    resellers = ({r.partner_id: r for r in organisation.resellers.all()} if organisation.tier == Tier.INDIRECT_PROVIDER
                 else {})
    roles = set(AzureRole.objects.values_list("name", flat=True))
    now = timezone.now()

    errors, parsed, seen_ids = [], [], {}
    for number, row in body:
        row_errors = []

        def problem(reason, name, _errors=row_errors, _number=number):
            _errors.append({"line": _number, "field": name, "reason": str(reason)})

        if len(row) != len(header):
            problem(_("This line has %(got)s values; the header has %(want)s (a comma inside a value needs quotes).")
                    % {"got": len(row), "want": len(header)}, "file")
            errors.extend(row_errors)
            continue
        tenant = _uuid(cell(row, "customerId"))
        customer = customers.get(tenant) if tenant else None
        if tenant is None:
            problem(_("Not a customer id (a GUID such as 4c721420-72ad-4708-a0a7-371a2f7b0969)."), "customerId")
        elif customer is None:
            problem(_("None of your customers has this id."), "customerId")
        sub_id = _uuid(cell(row, "subscriptionId"))
        if sub_id is None:
            problem(_("Not a subscription id (a GUID)."), "subscriptionId")
        entitlement = cell(row, "entitlementId")
        entitlement_id = _uuid(entitlement) if entitlement else sub_id
        if entitlement and entitlement_id is None:
            problem(_("Not an Azure subscription id (a GUID)."), "entitlementId")
        checks = [(sub_id, "subscriptionId")] + ([(entitlement_id, "entitlementId")] if entitlement_id != sub_id else [])
        for value, name in checks:
            if value is not None and value in seen_ids and seen_ids[value] != number:
                problem(_("This id is also on line %(line)s of this file.") % {"line": seen_ids[value]}, name)
        name = cell(row, "friendlyName")
        if not name or len(name) > 128:
            problem(_("The friendly name is 1 to 128 characters."), "friendlyName")
        partner_id = cell(row, "resellerPartnerId")
        reseller = None
        if organisation.tier == Tier.INDIRECT_PROVIDER:
            reseller = resellers.get(partner_id)
            if not partner_id:
                problem(_("An indirect provider names the indirect reseller of record (its PartnerID)."),
                        "resellerPartnerId")
            elif reseller is None:
                problem(_("%(id)s is not the PartnerID of one of your indirect resellers.") % {"id": partner_id[:20]},
                        "resellerPartnerId")
        elif partner_id:
            problem(_("Leave this empty: only an indirect provider names a reseller of record."), "resellerPartnerId")
        created = _created(cell(row, "createdDate"))
        if created is None:
            problem(_("Not a date (YYYY-MM-DD, or an ISO 8601 date and time) from 2008 on."), "createdDate")
        elif created > now:
            problem(_("The creation date is in the future."), "createdDate")
        assignments = _role_assignments(cell(row, "roleAssignments"), organisation, roles, resellers,
                                        lambda reason, _p=problem: _p(reason, "roleAssignments"))
        if row_errors:
            errors.extend(row_errors)
            continue
        seen_ids[sub_id] = number
        seen_ids[entitlement_id] = number
        parsed.append((number, customer, sub_id, entitlement_id, name, reseller, created, assignments))

    # Ids already known: the same subscription of the same customer is left alone; another customer's is an error.
    ids = [p[2] for p in parsed] + [p[3] for p in parsed]
    existing = {}
    for legacy in LegacySubscription.objects.filter(Q(public_id__in=ids) | Q(entitlement_id__in=ids)).select_related(
            "customer"):
        existing[legacy.public_id] = legacy
        existing[legacy.entitlement_id] = legacy
    plan_subs = set(AzureSubscription.objects.filter(subscription_id__in=ids).values_list("subscription_id", flat=True))
    new, present = [], 0
    for number, customer, sub_id, entitlement_id, name, reseller, created, assignments in parsed:
        known = existing.get(sub_id) or existing.get(entitlement_id)
        if known is not None:
            if known.customer_id == customer.pk and known.public_id == sub_id and known.entitlement_id == entitlement_id:
                present += 1
            else:
                errors.append({"line": number, "field": "subscriptionId",
                               "reason": _("This subscription id is already imported for another customer (or with "
                                           "another Azure subscription id).")})
            continue
        if entitlement_id in plan_subs and not known:
            errors.append({"line": number, "field": "subscriptionId",
                           "reason": _("This id is already an Azure subscription under an Azure plan.")})
            continue
        new.append((number, customer, sub_id, entitlement_id, name, reseller, created, assignments))
    if errors:
        errors.sort(key=lambda e: e["line"])
        bad = len({e["line"] for e in errors})
        raise LegacyImportInvalid(
            ngettext("%(n)s of %(total)s rows is wrong: nothing was imported. Correct it and import the file again.",
                     "%(n)s of %(total)s rows are wrong: nothing was imported. Correct them and import the file again.",
                     bad) % {"n": bad, "total": len(body)}, field="file", data=errors,
            parameters={"badRows": len({e["line"] for e in errors}), "rows": len(body)})

    try:
        with transaction.atomic():
            record = LegacyImport.objects.create(organisation=organisation, file_name=file_name or "",
                                                 sha256=digest, rows=len(body), added=len(new),
                                                 already_present=present, created_by_id=actor.user_id)
            LegacySubscription.objects.bulk_create([
                LegacySubscription(public_id=sub_id, entitlement_id=entitlement_id, customer=customer,
                                   reseller=reseller, friendly_name=name, created_date=created,
                                   role_assignments=assignments, imported_by=record, imported_at=now)
                for _n, customer, sub_id, entitlement_id, name, reseller, created, assignments in new
            ], batch_size=2000)
            audit_record(actor=actor, action="legacy_subscriptions.imported", obj=record,
                         data={"file": record.file_name, "rows": len(body), "added": len(new),
                               "alreadyPresent": present})
    except IntegrityError:
        # Another import took the same file or some of these ids at the same moment: nothing of ours was kept.
        raise LegacyImportInvalid(_("Another import of the same subscriptions ran at the same moment: nothing was "
                                    "imported. Import the file again to see what is left."), field="file",
                                  data=[{"line": 0, "field": "file", "reason": _("concurrent import")}]) from None
    return ImportResult(record, False, len(new), present)


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
    active = _legacy_active_count(customer)
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


def _move_upgrade(upgrade, status):
    if status != upgrade.status and status not in UPGRADE_TRANSITIONS[UpgradeStatus(upgrade.status)]:
        raise Conflict(_("The upgrade is %(old)s: it cannot become %(new)s.")
                       % {"old": upgrade.get_status_display().lower(), "new": UpgradeStatus(status).label.lower()})
    upgrade.status = status


def _claim(upgrade_id):
    """Pending -> in progress, lines listed. None when there is nothing to do (cancelled, finished)."""
    with transaction.atomic():
        upgrade = ProductUpgrade.objects.select_for_update(of=("self",)).select_related("customer").get(pk=upgrade_id)
        if upgrade.status not in (UpgradeStatus.PENDING, UpgradeStatus.IN_PROGRESS):
            return None
        now = timezone.now()
        if upgrade.status == UpgradeStatus.PENDING:
            _move_upgrade(upgrade, UpgradeStatus.IN_PROGRESS)
            upgrade.started_at = now
        upgrade.attempts += 1
        upgrade.heartbeat_at = now
        upgrade.save()
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
        from .selectors import availability_list

        try:
            availability = availability_list(product_id=services.AZURE_PLAN_PRODUCT, sku_id="0001",
                                             country=customer.country_id)[0]
        except (PartnerCenterError, IndexError):
            return None, UpgradeError(_("The Azure plan is not sold in the customer's country (%(country)s).")
                                      % {"country": customer.country_id}, status=400, code=900107)
        line = {"catalog_item_id": availability.catalog_item_id, "quantity": 1, "billing_cycle": "one_time",
                "reseller": reseller.partner_id if reseller else None}
        try:
            cart = services.cart_create(actor=actor, customer=customer, items=[line])
            services.cart_checkout(actor=actor, cart=cart, upgrade=upgrade)
        except services.errors.AzurePlanExists:
            pass  # bought at the same moment by another run of this upgrade: use it
        except PartnerCenterError as exc:
            return None, exc
        plan = AzurePlan.objects.filter(customer=customer, reseller=reseller).exclude(
            status=PlanStatus.CANCELLED).first()
    if plan.status == PlanStatus.PENDING:
        services.order_provision(plan.order_id)
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
        ProductUpgradeLine.objects.filter(pk__in=[line.pk for line in lines], status=UpgradeLineStatus.PENDING).update(
            status=UpgradeLineStatus.FAILED, error_code=str(code), error_message=str(message)[:2000],
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
        for line, row in moving:
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
        _move_upgrade(upgrade, UpgradeStatus.FAILED if failed else UpgradeStatus.COMPLETED)
        upgrade.finished_at = timezone.now()
        if not counts:
            upgrade.error_code = "900108"
            upgrade.error_message = _("No active legacy Azure subscription was left to transition.")
        upgrade.save()
        audit_record(actor=actor, action=f"product_upgrade.{upgrade.status.lower()}", obj=upgrade,
                     subject=upgrade.customer, data={"completed": counts.get(UpgradeLineStatus.COMPLETED, 0),
                                                     "failed": failed})
        batch_id = upgrade.batch_id
    if batch_id:
        batch_refresh(batch_id)
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
        count = failed.update(status=UpgradeLineStatus.PENDING)
        if not count:
            raise InvalidInput(_("None of the named subscriptions is a failed line of this upgrade."), field="lineItems")
        _move_upgrade(upgrade, UpgradeStatus.IN_PROGRESS)
        upgrade.finished_at = None
        upgrade.heartbeat_at = timezone.now()
        upgrade.save()
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
            reason = (900114 if u.status == UpgradeStatus.FAILED else 900109,
                      _("Upgrade %(id)s is already open (%(status)s).") % {"id": u.public_id,
                                                                          "status": u.get_status_display().lower()})
        elif not active.get(c.pk):
            reason = (900108, _("No active legacy Azure subscription."))
        if reason:
            skipped.append({"customerId": str(c.tenant_id), "companyName": c.company_name, "code": reason[0],
                            "reason": str(reason[1])})
        else:
            eligible.append(c)
    return eligible, skipped


def batch_refresh(job_id) -> Job:
    """Recount the batch from its upgrades (absolute counts, so a repeated task never double-counts) and finish it
    when every customer is done."""
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
        if job.status == JobStatus.RUNNING and finished >= job.total:
            job.status = JobStatus.SUCCEEDED
            job.finished_at = timezone.now()
        elif job.status == JobStatus.SUCCEEDED and finished < job.total:
            job.status = JobStatus.RUNNING  # a retried customer runs again
            job.finished_at = None
        job.save()
    return job


def _batch(actor, job_id):
    return get_for_actor_or_404(Job.objects.filter(kind=BATCH_KIND), actor, pk=job_id)


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
            upgrade.status = UpgradeStatus.CANCELLED
            upgrade.finished_at = now
            upgrade.save(update_fields=["status", "finished_at"])
            cancelled += 1
        job.status = JobStatus.CANCELLED
        job.finished_at = now
        job.result = {**job.result, "cancelledCustomers": cancelled}
        job.save()
        audit_record(actor=actor, action="transition_batch.cancelled", obj=job, object_type="core.Job",
                     data={"customers": cancelled})
    # Keep the counts true (the cancelled job keeps its status: batch_refresh only finishes running ones).
    return batch_refresh(job.pk)


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
