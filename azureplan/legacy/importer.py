"""Importing the legacy Azure (MS-AZR-0145P) estate from CSV: columns found by name, each row parsed into a typed
`ParsedRow` by small steps that report every problem as {line, field, reason}; all or nothing; a file already
imported (same SHA-256) adds nothing."""

import csv
import hashlib
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.choices import Tier
from accounts.models import Organisation
from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import InvalidInput
from customers.models import Customer

from ..choices import (
    PrincipalType,
)
from ..errors import LegacyImportInvalid
from ..models import (
    AzureRole,
    AzureSubscription,
    LegacyImport,
    LegacySubscription,
)
from ..plans import services as plan_services
from .rules import EARLIEST_CREATED_YEAR, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS

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
    admin_id, admin_name = plan_services.admin_agents_principal(organisation)
    raw = (raw or "").strip()
    if not raw:
        return [{"principal_type": PrincipalType.PARTNER_ADMIN_AGENTS.value, "principal_id": admin_id,
                 "principal_name": admin_name, "role": plan_services.AOBO_ROLE, "partner_id": organisation.pk}]
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
            principal, name = plan_services.admin_agents_principal(reseller)
            partner_id = reseller.pk
        else:
            partner_number = None
            if kind == PrincipalType.OTHER_PARTNER:
                # other_partner:<object id>/<PartnerID>:role — another partner's principal names its partner.
                principal, _slash, partner_number = principal.partition("/")
                principal = principal.strip()
            try:
                principal = plan_services.principal_id_check(principal)
                if kind == PrincipalType.OTHER_PARTNER:
                    partner_number = plan_services.other_partner_id_check(partner_number)
            except InvalidInput as exc:
                return problem(_("%(kind)s “%(id)s”: %(reason)s") % {"kind": kind, "id": entry.split(":")[1][:60],
                                                                      "reason": exc.description})
            name = principal
            if partner_number:
                other = Organisation.objects.filter(partner_id=partner_number).first()
                partner_id = other.pk if other else None
                if other is not None and (other.pk == organisation.pk or other.provider_id == organisation.pk):
                    return problem(_("“%(id)s” is your PartnerID or one of your resellers': use partner_admin_agents "
                                     "or indirect_reseller.") % {"id": partner_number})
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


@dataclass(frozen=True)
class ParsedRow:
    """One good line of the file, typed: what becomes a `LegacySubscription` unless it is already present."""

    line: int
    customer: Customer
    subscription_id: uuid.UUID
    entitlement_id: uuid.UUID  # the Azure subscription id: the subscription id unless the file names another
    friendly_name: str
    reseller: Organisation | None
    created_date: datetime
    role_assignments: list  # of {principal_type, principal_id, principal_name, role, partner_id}


@dataclass(frozen=True)
class _Lookups:
    """What every row is checked against, read once for the whole file."""

    organisation: Organisation
    columns: dict  # {wire name: column index}
    width: int  # the number of columns of the header
    customers: dict  # {tenant id: Customer} of the partner's customers named in the file
    resellers: dict  # {PartnerID: Organisation}, an indirect provider's resellers
    roles: set  # the Azure built-in role names
    now: datetime

    def cell(self, row, name):
        index = self.columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""


def _problem(line, field, reason):
    return {"line": line, "field": field, "reason": str(reason)}


def _split_rows(text):
    """The header and the numbered non-blank lines after it; an unreadable, empty or headless file is refused."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise LegacyImportInvalid(_("The file is not valid CSV: %(error)s") % {"error": exc}, field="file",
                                  data=[{"line": 0, "field": "file", "reason": str(exc)}]) from None
    rows = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not rows:
        raise LegacyImportInvalid(_("The file is empty. Its first line names the columns: %(header)s.")
                                  % {"header": TEMPLATE_HEADER}, field="file",
                                  data=[{"line": 1, "field": "file", "reason": _("empty file")}])
    (_first, header), body = rows[0], rows[1:]
    return header, body


def _columns(header, body):
    """{wire name: column index}, once the header and the number of rows are right."""
    columns, problems = _header_map(header)
    if problems:
        raise LegacyImportInvalid(_("The header line is wrong: nothing was imported."), field="file", data=problems)
    if not body:
        raise LegacyImportInvalid(_("The file has a header but no subscriptions."), field="file",
                                  data=[{"line": 1, "field": "file", "reason": _("no rows after the header")}])
    if len(body) > MAX_IMPORT_ROWS:
        raise LegacyImportInvalid(_("At most %(n)s rows per file: split it.") % {"n": MAX_IMPORT_ROWS}, field="file",
                                  data=[{"line": 0, "field": "file", "reason": _("too many rows")}])
    return columns


def _lookups(organisation, header, columns, body) -> _Lookups:
    """The customers named in the file, the resellers and the Azure roles: a fixed number of queries."""
    lookups = _Lookups(organisation=organisation, columns=columns, width=len(header), customers={}, resellers={},
                       roles=set(AzureRole.objects.values_list("name", flat=True)), now=timezone.now())
    tenant_ids = {_uuid(lookups.cell(row, "customerId")) for _n, row in body} - {None}
    lookups.customers.update(
        {c.tenant_id: c for c in Customer.objects.filter(organisation=organisation, tenant_id__in=tenant_ids)})
    if organisation.tier == Tier.INDIRECT_PROVIDER:
        lookups.resellers.update({r.partner_id: r for r in organisation.resellers.all()})
    return lookups


def _parse_row(number, row, lookups, seen_ids):
    """(ParsedRow, []) for a good line, (None, its problems) for a bad one. `seen_ids` ({id: line} of the good lines
    before it) finds an id given twice in the file."""
    problems = []

    def problem(reason, name):
        problems.append(_problem(number, name, reason))

    if len(row) != lookups.width:
        problem(_("This line has %(got)s values; the header has %(want)s (a comma inside a value needs quotes).")
                % {"got": len(row), "want": lookups.width}, "file")
        return None, problems
    organisation, cell = lookups.organisation, lookups.cell
    tenant = _uuid(cell(row, "customerId"))
    customer = lookups.customers.get(tenant) if tenant else None
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
        reseller = lookups.resellers.get(partner_id)
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
    elif created > lookups.now:
        problem(_("The creation date is in the future."), "createdDate")
    assignments = _role_assignments(cell(row, "roleAssignments"), organisation, lookups.roles, lookups.resellers,
                                    lambda reason: problem(reason, "roleAssignments"))
    if problems:
        return None, problems
    return ParsedRow(line=number, customer=customer, subscription_id=sub_id, entitlement_id=entitlement_id,
                     friendly_name=name, reseller=reseller, created_date=created, role_assignments=assignments), []


def _parse_rows(body, lookups):
    """Every good line as a ParsedRow, and every problem of the bad ones."""
    parsed, problems, seen_ids = [], [], {}
    for number, row in body:
        parsed_row, row_problems = _parse_row(number, row, lookups, seen_ids)
        if parsed_row is None:
            problems.extend(row_problems)
            continue
        seen_ids[parsed_row.subscription_id] = number
        seen_ids[parsed_row.entitlement_id] = number
        parsed.append(parsed_row)
    return parsed, problems


def _against_database(parsed):
    """Ids already known, looked up in two queries for the whole file: the same subscription of the same customer
    is left alone ("already present"); another customer's, or an Azure subscription under a plan, is a problem.
    Returns (the rows to add, how many are already present, the problems)."""
    ids = [p.subscription_id for p in parsed] + [p.entitlement_id for p in parsed]
    existing = {}
    for legacy in LegacySubscription.objects.filter(Q(public_id__in=ids) | Q(entitlement_id__in=ids)).select_related(
            "customer"):
        existing[legacy.public_id] = legacy
        existing[legacy.entitlement_id] = legacy
    plan_subs = set(AzureSubscription.objects.filter(subscription_id__in=ids).values_list("subscription_id", flat=True))
    new, present, problems = [], 0, []
    for row in parsed:
        known = existing.get(row.subscription_id) or existing.get(row.entitlement_id)
        if known is not None:
            if (known.customer_id == row.customer.pk and known.public_id == row.subscription_id
                    and known.entitlement_id == row.entitlement_id):
                present += 1
            else:
                problems.append(_problem(row.line, "subscriptionId", _(
                    "This subscription id is already imported for another customer (or with another Azure "
                    "subscription id).")))
            continue
        if row.entitlement_id in plan_subs:
            problems.append(_problem(row.line, "subscriptionId",
                                     _("This id is already an Azure subscription under an Azure plan.")))
            continue
        new.append(row)
    return new, present, problems


def _refuse(problems, total):
    """All or nothing: any problem and the whole file is refused, with every problem by line."""
    problems.sort(key=lambda e: e["line"])
    bad = len({e["line"] for e in problems})
    raise LegacyImportInvalid(
        ngettext("%(n)s of %(total)s rows is wrong: nothing was imported. Correct it and import the file again.",
                 "%(n)s of %(total)s rows are wrong: nothing was imported. Correct them and import the file again.",
                 bad) % {"n": bad, "total": total}, field="file", data=problems,
        parameters={"badRows": bad, "rows": total})


def _write(*, actor, organisation, file_name, digest, total, new, present, now) -> ImportResult:
    """The import record, the new subscriptions (bulk, in batches of 2,000) and the audit event, in one
    transaction."""
    try:
        with transaction.atomic():
            record = LegacyImport.objects.create(organisation=organisation, file_name=file_name or "",
                                                 sha256=digest, rows=total, added=len(new),
                                                 already_present=present, created_by_id=actor.user_id)
            LegacySubscription.objects.bulk_create([
                LegacySubscription(public_id=row.subscription_id, entitlement_id=row.entitlement_id,
                                   customer=row.customer, reseller=row.reseller, friendly_name=row.friendly_name,
                                   created_date=row.created_date, role_assignments=row.role_assignments,
                                   imported_by=record, imported_at=now)
                for row in new
            ], batch_size=2000)
            audit_record(actor=actor, action="legacy_subscriptions.imported", obj=record,
                         data={"file": record.file_name, "rows": total, "added": len(new),
                               "alreadyPresent": present})
    except IntegrityError:
        # Another import took the same file or some of these ids at the same moment: nothing of ours was kept.
        raise LegacyImportInvalid(_("Another import of the same subscriptions ran at the same moment: nothing was "
                                    "imported. Import the file again to see what is left."), field="file",
                                  data=[{"line": 0, "field": "file", "reason": _("concurrent import")}]) from None
    return ImportResult(record, False, len(new), present)


def legacy_import(*, actor, content, file_name="") -> ImportResult:
    """Import legacy subscriptions from CSV (`content`: bytes or text). All or nothing: any bad row and nothing
    is imported, the error's `data` lists every bad row (line, field, reason). A row already imported for the
    same customer is left as it is; the same file imported again adds nothing.

    The steps: decode the file, find the columns by name, parse each line into a `ParsedRow` or its problems,
    check the good rows against the database in sets, write."""
    require(actor, Perm.IMPORT_LEGACY_AZURE)
    if len(file_name or "") > 255:
        raise InvalidInput(_("The file name is at most 255 characters."), field="fileName")
    text = _decode(content)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    organisation = Organisation.objects.get(pk=actor.organisation_id)
    previous = LegacyImport.objects.filter(organisation=organisation, sha256=digest).first()
    if previous is not None:
        return ImportResult(previous, True, 0, previous.rows)

    header, body = _split_rows(text)
    columns = _columns(header, body)
    lookups = _lookups(organisation, header, columns, body)
    parsed, problems = _parse_rows(body, lookups)
    new, present, known_problems = _against_database(parsed)
    if problems or known_problems:
        _refuse(problems + known_problems, len(body))
    return _write(actor=actor, organisation=organisation, file_name=file_name, digest=digest, total=len(body),
                  new=new, present=present, now=lookups.now)
