"""Writes of billing.usage: importing daily usage (three input formats, one code path) and matching the rows kept
aside once their Azure subscription exists (docs/billing.md, "Usage ingestion").

An import runs in one transaction: COPY into the TEMP table usage_stage (billing.usage.loader), the dates and the
(CustomerId, EntitlementId) pairs parsed and resolved once per distinct value, every line checked in one query (any
bad line: nothing is imported, every bad line is listed), a closed month's rows refused, then one INSERT ... SELECT
... ON CONFLICT (natural key) DO UPDATE of the changed rows only, the unmatched lines kept aside, the waiting rows
matched, and `billing.usage.hooks.usage_changed` called so rating commits with the import.
"""

import hashlib
import logging
import tempfile
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DataError, IntegrityError, ProgrammingError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from psycopg import errors as pg_errors

from accounts.permissions import Perm, require
from azureplan.models import AzurePlan, AzureSubscription, LegacySubscription
from core.actor import Actor
from core.audit import audit_record
from core.errors import InvalidInput
from customers.models import Customer

from ..errors import UsageFileInvalid, UsageMonthClosed
from ..models import UnmatchedUsage, UsageImport, UsageImportSource
from ..pricing.loader import CHUNK, FileProblem
from . import checks, hooks, loader, pipeline
from .messages import lines_message, problems_message, same_file_message

log = logging.getLogger(__name__)

JOB_KIND = "usage_import"
_LOCK = "usage:%s"


def _lock(organisation_id):
    """One import (or matching) of an organisation at a time: their upserts touch the same keys."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_LOCK % organisation_id])


def _who(actor):
    return {"created_by_id": actor.user_id, "created_by_label": (actor.label or "")[:255]}


def _scope_state(organisation_id):
    """A fingerprint of what resolving usage reads for the organisation (its customers, Azure plans, Azure
    subscriptions and legacy cut-overs): the same file imported again with the same fingerprint, after the last
    import of the organisation, writes nothing and is answered from that import's counts."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) FROM {Customer._meta.db_table}
                    WHERE organisation_id = %(org)s),
                   (SELECT count(*) || ':' || coalesce(sum(hashtext(s.id || ':' || s.plan_id || ':'
                           || s.subscription_id || ':' || p.customer_id || ':' || coalesce(p.reseller_id, 0))), 0)
                    FROM {AzureSubscription._meta.db_table} s JOIN {AzurePlan._meta.db_table} p ON p.id = s.plan_id
                    JOIN {Customer._meta.db_table} c ON c.id = p.customer_id WHERE c.organisation_id = %(org)s),
                   (SELECT count(*) || ':' || coalesce(sum(hashtext(l.azure_subscription_id || ':'
                           || l.transitioned_at)), 0)
                    FROM {LegacySubscription._meta.db_table} l JOIN {Customer._meta.db_table} c ON c.id = l.customer_id
                    WHERE c.organisation_id = %(org)s AND l.transitioned_at IS NOT NULL),
                   (SELECT count(*) || ':' || coalesce(max(id), 0) FROM billing_closedusagemonth
                    WHERE organisation_id = %(org)s)""", {"org": organisation_id})
        return "|".join(cursor.fetchone())


def _prehash(stream):
    """(SHA-256 hex, a stream reading the same bytes from the start): seekable streams are rewound, others are
    copied to a temporary file while hashing (memory stays flat)."""
    sha = hashlib.sha256()
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        start = stream.tell()
        while chunk := stream.read(CHUNK):
            sha.update(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        stream.seek(start)
        return sha.hexdigest(), stream
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)
    while chunk := stream.read(CHUNK):
        chunk = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        sha.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return sha.hexdigest(), spool


def _as_stream(fileobj):
    if isinstance(fileobj, (bytes, bytearray, str)):
        return loader_bytes(fileobj)
    return fileobj


def loader_bytes(data):
    import io

    return io.BytesIO(data.encode("utf-8") if isinstance(data, str) else bytes(data))


def _invalid(problems, total, *, what):
    return what(problems_message(problems[0], total), field="file", data=problems, parameters={"totalCount": total})


# The import's transaction only (SET LOCAL): sorts, hashes and windows of a month's rows in memory rather than spilled
# to disk; the indexes ATTACH builds over a new month's partition sorted in memory, by the backend and two workers; no
# JIT compilation (the statements run once each, on sizes where compiling costs more than it saves).
IMPORT_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "1GB", "max_parallel_maintenance_workers": "2",
                   "jit": "off"}


def _import_settings():
    with connection.cursor() as cursor:
        for name, value in IMPORT_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _check_lines(label, where="true"):
    found, total = checks.problems(label, where=where)
    if total:
        raise _invalid(found, total, what=UsageFileInvalid)


def _shortcut(organisation_id, sha, state):
    """The organisation's last import when it was this very file and nothing it resolved against changed since."""
    last = (UsageImport.objects.filter(organisation_id=organisation_id, report__status="succeeded")
            .order_by("-created_at", "-id").first())
    if last is None or last.source_sha256 != sha or last.report.get("scopeState") != state:
        return None
    return last


def _run(*, organisation_id, record, stream, source, progress=None, job_id=None):
    """The import itself, inside the caller's transaction; fills `record` (UsageImport) and returns its report."""
    _lock(organisation_id)
    sha, stream = _prehash(stream)
    state = _scope_state(organisation_id)
    record.source_sha256 = sha
    now = record.created_at
    last = _shortcut(organisation_id, sha, state)
    if last is not None:
        record.source = last.source
        record.line_count = last.line_count
        record.rows_unchanged = last.rows_added + last.rows_replaced + last.rows_unchanged
        record.rows_unmatched = last.rows_unmatched
        record.rows_not_rated = last.rows_not_rated
        report = {"status": "succeeded", "sha256": sha, "scopeState": state, "sameAs": str(last.public_id),
                  "sameAsAt": last.created_at.isoformat(), "months": [], "refreshed": 0, "matchedWaiting": 0,
                  "errors": [], "totalCount": 0, "message": same_file_message(last.created_at)}
        return report
    try:
        source, content = loader.open_source(stream, source)
        record.source = source
        label = loader.labels(source)
        _import_settings()
        lines = loader.stage(content, source, progress)
    except FileProblem as exc:
        total = exc.problems[0].pop("totalCount", len(exc.problems))
        raise _invalid(exc.problems, total, what=UsageFileInvalid) from None
    if lines == 0:
        raise _invalid([{"line": 2, "column": "", "reason": _("The file has a header but no usage lines.")}], 1,
                       what=UsageFileInvalid)
    record.line_count = lines
    if progress is not None:
        progress(lines, phase="checking")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE usage_stage (customer_id, entitlement_id, usage_date)")
    pipeline.prepare(organisation_id)
    found, total = checks.foreign_partner_lines(label)
    if total:  # another partner's file: nothing of it is imported, nor kept aside as customers unknown here
        raise _invalid(found, total, what=UsageFileInvalid)
    first, last_day = pipeline.date_range()
    closed = pipeline.has_closed_months(organisation_id)
    if closed or checks.suspect():
        _check_lines(label)
    if closed:
        found, total = checks.closed_month_changes(organisation_id, label)
        if total:
            raise _invalid(found, total, what=UsageMonthClosed)
    if progress is not None:
        progress(lines, phase="writing")
    record.save()
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT usage_write")
    try:
        added, replaced, refreshed, months = pipeline.write(organisation_id, record.pk)
        staged = pipeline.staged_months()
    except (ProgrammingError, DataError, IntegrityError) as exc:
        # The write is the last check of a file without suspect values (a number its cast refuses, a text too long,
        # a value missing): list every bad line, or the repeated natural keys.
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK TO SAVEPOINT usage_write")
        _check_lines(label)
        if isinstance(exc.__cause__, (pg_errors.CardinalityViolation, pg_errors.UniqueViolation)):
            found, total = checks.duplicates(label)
            if total:
                raise _invalid(found, total, what=UsageFileInvalid) from None
        raise
    with connection.cursor() as cursor:
        cursor.execute("RELEASE SAVEPOINT usage_write")
    resolved, unmatched, legacy = pipeline.resolved_counts()
    if unmatched:
        _check_lines(label, where="k.reason IS NOT NULL")  # the write did not read them
        pipeline.keep_unmatched(organisation_id, record.pk, now)
    record.rows_added, record.rows_replaced = added, replaced
    record.rows_unchanged = resolved - added - replaced
    record.rows_unmatched, record.rows_not_rated = unmatched, legacy
    matched = _match_waiting(organisation_id, now=now, exclude_import=record.pk)
    months = sorted(set(months) | set(matched["months"]))
    report = {"status": "succeeded", "sha256": sha, "scopeState": state, "months": [f"{m:%Y-%m}" for m in months],
              "refreshed": refreshed, "matchedWaiting": matched["matched"], "errors": [], "totalCount": 0,
              "message": lines_message(lines=lines, added=added, replaced=replaced, unchanged=record.rows_unchanged,
                                       unmatched=unmatched, legacy=legacy)}
    hooks.usage_changed(organisation_id=organisation_id, months=months, staged_months=staged)
    return report


def _finish(record, report, actor):
    record.report = {**record.report, **report}
    record.save()
    audit_record(actor=actor, action="usage.imported", obj=record, object_type="billing.UsageImport",
                 object_repr=(record.file_name or str(record.public_id))[:255],
                 data={"sha256": record.source_sha256, "fileName": record.file_name, "lines": record.line_count,
                       "added": record.rows_added, "replaced": record.rows_replaced,
                       "unchanged": record.rows_unchanged, "unmatched": record.rows_unmatched,
                       "notRated": record.rows_not_rated, "import": str(record.public_id)})


def _check_source(source):
    if source in (None, "", "auto"):
        return None
    value = str(source).strip().lower()
    if value == "json":
        value = "batch"
    if value not in UsageImportSource.values:
        raise InvalidInput(_("source must be csv, jsonl or batch."), field="source")
    return value


def usage_import_file(*, actor, fileobj, file_name: str, source: str | None = None) -> UsageImport:
    """Import a usage file synchronously for the actor's organisation (Global admin or Billing admin of a direct-bill
    partner or an indirect provider): Microsoft's daily rated usage CSV, the export's gzipped JSON lines, or a JSON
    batch (`source` None detects which). All or nothing: UsageFileInvalid (400) lists every bad line {line, column,
    reason} (the first 1,000; parameters.totalCount), UsageMonthClosed (409) every line that would change a closed
    month; nothing is written then. Returns the UsageImport with its counts and report."""
    require(actor, Perm.IMPORT_USAGE)
    source = _check_source(source)
    with transaction.atomic():
        record = UsageImport(organisation_id=actor.organisation_id, source=source or UsageImportSource.CSV,
                             file_name=(file_name or "")[:255], created_at=timezone.now(), **_who(actor))
        report = _run(organisation_id=actor.organisation_id, record=record, stream=_as_stream(fileobj), source=source)
        _finish(record, report, actor)
    return record


# ---------------------------------------------------------------- background imports


def _actor_params(actor):
    return {"organisationId": actor.organisation_id, "roles": sorted(actor.roles), "userId": actor.user_id,
            "credentialId": actor.credential_id, "label": actor.label, "requestId": actor.request_id,
            "tier": actor.tier, "appOnly": actor.is_app_only}


def _actor_from(params):
    return Actor(organisation_id=params["organisationId"], roles=frozenset(params.get("roles") or ()),
                 user_id=params.get("userId"), credential_id=params.get("credentialId"),
                 label=params.get("label") or "", request_id=params.get("requestId") or "",
                 tier=params.get("tier") or "", is_app_only=bool(params.get("appOnly")))


def usage_import_start(*, actor, fileobj, file_name, source=None, request_id="") -> UsageImport:
    """Store the upload (UsageUpload chunks, in the database: every web and worker process reads the same), create
    the import and its Job, and enqueue the import on commit. The Job's progress counts the lines staged; the
    UsageImport gets its counts and report when the job succeeds, its bad lines when it fails."""
    from core.jobs import job_create

    from ..models import UsageUpload

    require(actor, Perm.IMPORT_USAGE)
    source = _check_source(source)
    stream = _as_stream(fileobj)
    with transaction.atomic():
        job = job_create(organisation_id=actor.organisation_id, kind=JOB_KIND, created_by_id=actor.user_id,
                         params={"actor": _actor_params(actor), "source": source, "fileName": file_name or "",
                                 "language": translation.get_language() or "",
                                 "requestId": request_id or ""})
        record = UsageImport.objects.create(
            organisation_id=actor.organisation_id, job=job, source=source or UsageImportSource.CSV,
            file_name=(file_name or "")[:255], created_at=timezone.now(), report={"status": "pending"},
            **_who(actor))
        sha = hashlib.sha256()
        size = lines = 0
        seq = 0
        while chunk := stream.read(CHUNK):
            chunk = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            sha.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
            UsageUpload.objects.create(usage_import=record, seq=seq, data=chunk)
            seq += 1
        if size == 0:
            raise _invalid([{"line": 1, "column": "", "reason": _("The file is empty.")}], 1, what=UsageFileInvalid)
        gzipped = False
        first = UsageUpload.objects.filter(usage_import=record, seq=0).values_list("data", flat=True).first()
        if first is not None and bytes(first[:2]) == b"\x1f\x8b":
            gzipped = True
        job.total = 0 if gzipped else max(lines, 1)
        job.params = {**job.params, "bytes": size, "sha256": sha.hexdigest()}
        job.save(update_fields=["total", "params"])
        record.source_sha256 = sha.hexdigest()
        record.save(update_fields=["source_sha256"])
        from .tasks import run_usage_import

        transaction.on_commit(lambda: run_usage_import.delay(record.pk))
    return record


@contextmanager
def _upload_file(record):
    """The stored upload as a temporary file (read chunk by chunk from the database)."""
    from ..models import UsageUpload

    handle = tempfile.TemporaryFile()
    try:
        last = -1
        while True:
            chunk = (UsageUpload.objects.filter(usage_import=record, seq__gt=last).order_by("seq")
                     .values_list("seq", "data").first())
            if chunk is None:
                break
            last = chunk[0]
            handle.write(bytes(chunk[1]))
        handle.seek(0)
        yield handle
    finally:
        handle.close()


class _Progress:
    """Writes the job's progress on its own connection (the import's transaction is not committed until the end, so
    a page polling the job sees the lines staged as they go)."""

    def __init__(self, job_id, total):
        self.job_id = job_id
        self.total = total
        self.conn = None

    def __call__(self, lines, phase="staging"):
        import psycopg

        from core.db import database_url

        try:
            if self.conn is None:
                self.conn = psycopg.connect(database_url(connection.settings_dict), autocommit=True)
                self.conn.execute("SET lock_timeout = '2s'")
            done = min(lines, self.total) if self.total else 0
            self.conn.execute("UPDATE core_job SET done = %s, result = result || jsonb_build_object('phase', %s::text, "
                              "'linesStaged', %s::bigint) WHERE id = %s AND status = 'running'",
                              [done, phase, lines, self.job_id])
        except Exception:  # progress is a courtesy: the import goes on without it
            log.warning("usage import progress not written", exc_info=True)

    def close(self):
        if self.conn is not None:
            self.conn.close()


def usage_import_run(import_id: int) -> str:
    """The task's body: run a stored import once. A job that already succeeded is not run again (a redelivered
    message after the commit); a run that died rolled its transaction back, so running it again counts once."""
    from core.jobs import job_start
    from core.models import JobStatus

    record = UsageImport.objects.filter(pk=import_id).select_related("job").first()
    if record is None or record.job is None:
        return "missing"
    if record.job.status in (JobStatus.SUCCEEDED, JobStatus.CANCELLED):
        return record.job.status
    job = job_start(record.job_id)
    # The report (problems, messages) is written in the language of the page or API call that started the import.
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        return _run_started(record, job)


def _run_started(record, job) -> str:
    from core.jobs import job_succeed
    from core.models import Job, JobStatus

    from ..models import UsageUpload

    import_id = record.pk
    actor = _actor_from(job.params["actor"])
    progress = _Progress(job.pk, job.total)
    try:
        with _upload_file(record) as handle, transaction.atomic():
            # The import's row is the run's lock (the job's row stays free for the progress connection).
            record = UsageImport.objects.select_for_update().get(pk=import_id)
            job = Job.objects.get(pk=job.pk)
            if job.status == JobStatus.SUCCEEDED:
                return job.status
            record.rows_added = record.rows_replaced = record.rows_unchanged = 0
            record.rows_unmatched = record.rows_not_rated = 0
            UnmatchedUsage.objects.filter(usage_import=record).delete()
            report = _run(organisation_id=record.organisation_id, record=record, stream=handle,
                          source=job.params.get("source"), progress=progress, job_id=job.pk)
            _finish(record, report, actor)
            UsageUpload.objects.filter(usage_import=record).delete()
            counts = {"linesStaged": record.line_count, "rowsWritten": record.rows_added + record.rows_replaced,
                      "added": record.rows_added, "replaced": record.rows_replaced,
                      "unchanged": record.rows_unchanged, "unmatched": record.rows_unmatched,
                      "notRated": record.rows_not_rated, "phase": "done"}
            if not job.total:
                Job.objects.filter(pk=job.pk).update(total=max(record.line_count, 1))
            job_succeed(job.pk, result=counts)
    except (UsageFileInvalid, UsageMonthClosed) as exc:
        _failed(import_id, exc)
        return "failed"
    except Exception as exc:
        log.exception("usage import %s failed", import_id)
        _failed(import_id, exc)
        raise
    finally:
        progress.close()
    return "succeeded"


def _failed(import_id, exc):
    from core.jobs import job_fail

    record = UsageImport.objects.get(pk=import_id)
    data = getattr(exc, "data", []) or []
    total = getattr(exc, "parameters", {}).get("totalCount", len(data))
    record.report = {"status": "failed", "message": str(getattr(exc, "description", exc)),
                     "errorName": getattr(exc, "error_name", "UnexpectedServiceError"),
                     "errors": data, "totalCount": total}
    record.save(update_fields=["report"])
    try:
        job_fail(record.job_id, error=record.report["message"], result={"phase": "failed"})
    except Exception:  # the job already moved (e.g. cancelled): the import's report says what happened
        log.warning("usage import %s: job not marked failed", import_id, exc_info=True)


# ---------------------------------------------------------------- rows kept aside


def _match_waiting(organisation_id, *, now, exclude_import=None):
    """Move the waiting rows whose customer and Azure subscription now resolve into UsageRecord (natural key: once),
    stamp them matched_at. Rows of a closed month stay waiting. Returns {"matched": n, "months": [...]}."""
    table = UnmatchedUsage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT EXISTS (
                SELECT 1 FROM {table} u
                JOIN {AzureSubscription._meta.db_table} s ON s.subscription_id = u.entitlement_id::uuid
                JOIN {AzurePlan._meta.db_table} p ON p.id = s.plan_id
                JOIN {Customer._meta.db_table} c ON c.id = p.customer_id AND c.tenant_id = u.customer_tenant_id::uuid
                WHERE u.organisation_id = %s AND u.matched_at IS NULL AND c.organisation_id = %s
                  AND u.usage_import_id IS DISTINCT FROM %s)""", [organisation_id, organisation_id, exclude_import])
        if not cursor.fetchone()[0]:
            return {"matched": 0, "months": []}
        columns = ", ".join(f"{c} text" for c in loader.STAGE_COLUMNS)
        cursor.execute("DROP TABLE IF EXISTS usage_stage")
        # The latest waiting row of each natural key (a later file's version wins), outside closed months.
        cursor.execute(f"""
            CREATE TEMP TABLE usage_stage ON COMMIT DROP AS
            SELECT DISTINCT ON (u.entitlement_id, u.usage_date, r.meter_id, r.product_id, r.sku_id, r.resource_uri,
                                r.charge_type, r.benefit_id)
                   u.id AS line, u.usage_import_id::text AS import_ref, r.*
            FROM {table} u, jsonb_to_record(u.row) AS r({columns})
            WHERE u.organisation_id = %s AND u.matched_at IS NULL AND u.usage_import_id IS DISTINCT FROM %s
              AND NOT EXISTS (SELECT 1 FROM billing_closedusagemonth cm WHERE cm.organisation_id = u.organisation_id
                              AND cm.month = date_trunc('month', u.usage_date)::date)
            ORDER BY u.entitlement_id, u.usage_date, r.meter_id, r.product_id, r.sku_id, r.resource_uri,
                     r.charge_type, r.benefit_id, u.created_at DESC, u.id DESC""", [organisation_id, exclude_import])
    pipeline.prepare(organisation_id)
    first, last = pipeline.date_range()
    if first is None:
        return {"matched": 0, "months": []}
    added, replaced, _refreshed, months = pipeline.write(organisation_id, None)
    with connection.cursor() as cursor:
        # Every waiting row whose pair now resolves is matched (an older duplicate of a key included: its key is in).
        cursor.execute(f"""
            UPDATE {table} u SET matched_at = %s FROM usage_keys k
            WHERE u.organisation_id = %s AND u.matched_at IS NULL AND u.usage_import_id IS DISTINCT FROM %s
              AND k.sub_id IS NOT NULL AND lower(btrim(k.ct)) = u.customer_tenant_id
              AND lower(btrim(k.et)) = u.entitlement_id
              AND NOT EXISTS (SELECT 1 FROM billing_closedusagemonth cm WHERE cm.organisation_id = u.organisation_id
                              AND cm.month = date_trunc('month', u.usage_date)::date)""",
                       [now, organisation_id, exclude_import])
        matched = cursor.rowcount
    return {"matched": matched, "months": months}


def usage_match_waiting(*, organisation_id: int) -> int:
    """Match the organisation's waiting (unmatched) usage rows whose Azure subscription now exists: moved into
    UsageRecord exactly once (natural key), stamped matched_at, rating told. Returns the rows matched."""
    with transaction.atomic():
        _lock(organisation_id)
        result = _match_waiting(organisation_id, now=timezone.now())
        hooks.usage_changed(organisation_id=organisation_id, months=result["months"])
    return result["matched"]


def usage_match_all_waiting() -> int:
    """Every organisation with waiting rows (the periodic task)."""
    organisations = (UnmatchedUsage.objects.filter(matched_at__isnull=True).values_list("organisation_id", flat=True)
                     .distinct())
    return sum(usage_match_waiting(organisation_id=org) for org in list(organisations))


__all__ = ["usage_import_file", "usage_import_run", "usage_import_start", "usage_match_all_waiting",
           "usage_match_waiting"]
