"""Loading Microsoft's price sheet and FX files: streamed into a TEMP staging table with psycopg's COPY, checked in
set-based SQL (every bad line with its line number, column and reason) and written with INSERT ... SELECT.

Nothing here loops over rows in Python: Python reads the header line, then hands the rest of the file to COPY in 1 MiB
chunks (hashing them on the way). Line numbers count the header as line 1; a quoted field spanning several lines counts
as one line (the record number), which is what Microsoft's files have.
"""

import csv
import gzip
import hashlib
import io
import re
import tempfile
import zlib

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CHUNK = 1 << 20
MAX_ERRORS = 1000  # listed in a report; the count says how many there were

# Microsoft's columns (domain.md §4.1) -> our column in the staging and row tables.
SHEET_COLUMNS = {
    "ProductTitle": "product_title",
    "ProductId": "product_id",
    "SkuId": "sku_id",
    "SkuTitle": "sku_title",
    "Publisher": "publisher",
    "SkuDescription": "sku_description",
    "UnitOfMeasure": "unit_of_measure",
    "TermDuration": "term_duration",
    "Market": "market",
    "Currency": "currency",
    "UnitPrice": "unit_price",
    "PricingTierRangeMin": "tier_min",
    "PricingTierRangeMax": "tier_max",
    "EffectiveStartDate": "effective_start",
    "EffectiveEndDate": "effective_end",
    "MeterIds": "meter_ids",
    "MeterType": "meter_type",
    "Tags": "tags",
}
FX_COLUMNS = {"CurrencyCode": "currency", "USDPerUnit": "usd_per_unit", "Month": "month"}


class FileProblem(Exception):
    """The file cannot be staged at all (empty, not text, not CSV, wrong header): one or more {line, column, reason}."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__(problems[0]["reason"])


def problem(line, column, reason):
    return {"line": line, "column": column, "reason": str(reason)}


class Prefixed:
    """A binary stream whose first bytes were read already (to look for gzip's magic, or a usage file's format):
    gives them back first."""

    def __init__(self, head, stream):
        self.head = head
        self.stream = stream

    def read(self, size=CHUNK):
        if self.head:
            data, self.head = self.head[:size], self.head[size:]
            return data
        data = self.stream.read(size)
        return data.encode("utf-8") if isinstance(data, str) else data


# What a gzipped upload may decompress to: a file of highly compressible text would otherwise stream without end into
# the stage (the upload limit bounds the compressed bytes only).
MAX_DECOMPRESSED_BYTES = 4 * 1024**3


class Ungzipped:
    """A gzip stream decompressed on the fly; a damaged one (truncated, or corrupt data: zlib's own error) or one that
    decompresses past MAX_DECOMPRESSED_BYTES is a FileProblem, not an error of the server."""

    def __init__(self, stream, limit=None):
        self.gzip = gzip.GzipFile(fileobj=stream, mode="rb")
        self.limit = MAX_DECOMPRESSED_BYTES if limit is None else limit
        self.size = 0

    def read(self, size=CHUNK):
        try:
            data = self.gzip.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise FileProblem([problem(0, "", _("The file cannot be decompressed (%(detail)s).")
                                       % {"detail": str(exc)[:200]})]) from None
        self.size += len(data)
        if self.size > self.limit:
            raise FileProblem([problem(0, "", _("The file decompresses to more than %(size)s GB: it is not a usage "
                                                "or price file this portal reads.")
                                       % {"size": self.limit // 1024**3})])
        return data


def ungzipped(stream):
    """`stream` as it is, or decompressed when it starts with gzip's magic bytes (a .csv.gz, as Microsoft's
    downloads and the demo's price sheets under billing/data/ are)."""
    head = stream.read(2)
    head = head.encode("utf-8") if isinstance(head, str) else (head or b"")
    prefixed = Prefixed(head, stream)
    return Ungzipped(prefixed) if head == b"\x1f\x8b" else prefixed


def problems_summary(counted, first, total):
    """The one-sentence summary of a refused file: `counted` says how many problems in which file ("3 bad lines in
    the price sheet", from ngettext), `first` is the first problem {line, column, reason}; its line and column are
    left out when it has none (a problem of the whole file)."""
    line, column = first.get("line"), first.get("column")
    if line and column:
        where = _("line %(line)s, %(column)s") % {"line": line, "column": column}
    elif line:
        where = _("line %(line)s") % {"line": line}
    else:
        where = column or ""
    values = {"problems": counted, "where": where, "reason": str(first.get("reason") or "").rstrip().removesuffix(".")}
    if where:
        return ngettext("%(problems)s (%(where)s: %(reason)s). Nothing was imported.",
                        "%(problems)s (the first: %(where)s: %(reason)s). Nothing was imported.", total) % values
    return ngettext("%(problems)s (%(reason)s). Nothing was imported.",
                    "%(problems)s (the first: %(reason)s). Nothing was imported.", total) % values


class _HashingReader:
    """Reads a binary file-like object in chunks, hashing every byte (SHA-256, unless `hashing` is false because the
    caller hashed the file already with `prehash`) and counting them."""

    def __init__(self, stream, plain_quotes=False, hashing=True):
        self.stream = stream
        self.plain_quotes = plain_quotes
        self.sha = hashlib.sha256() if hashing else None
        self.size = 0

    def read(self, size=CHUNK):
        data = self.stream.read(size)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self.sha is not None:
            self.sha.update(data)
        self.size += len(data)
        if self.plain_quotes:  # typographic double quotes as plain ones (FX files: one chunk, a few KB)
            data = data.replace("\u201c".encode(), b'"').replace("\u201d".encode(), b'"')
        return data

    def drain(self):
        while self.read():
            pass


def _header(reader, columns, *, what):
    """Read the header line (quoted or not, with or without a UTF-8 BOM): returns (our column names in file order,
    the bytes after the header line)."""
    buffer = b""
    while b"\n" not in buffer:
        chunk = reader.read(CHUNK)
        if not chunk:
            break
        buffer += chunk
        if len(buffer) > 64 * 1024 and b"\n" not in buffer:
            break
    if not buffer.strip():
        raise FileProblem([problem(1, "", _("The file is empty: it should be %(what)s in CSV, starting with its header "
                                           "line.") % {"what": what})])
    if b"\x00" in buffer:
        raise FileProblem([problem(1, "", _("This is not a CSV file (it holds binary data).") )])
    line, newline, rest = buffer.partition(b"\n")
    try:
        text = line.decode("utf-8").lstrip("\ufeff").rstrip("\r")
    except UnicodeDecodeError:
        raise FileProblem([problem(1, "", _("This is not a UTF-8 CSV file."))]) from None
    # Microsoft's own published samples end a quoted header with a typographic quote; accept it as a plain one.
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    try:
        names = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        names = []
    names = [name.strip() for name in names]
    expected = ", ".join(columns)
    problems = []
    lookup = {name.lower(): name for name in columns}
    seen = []
    for name in names:
        canonical = lookup.get(name.lower())
        if canonical is None:
            problems.append(problem(1, name, _("Unknown column “%(column)s”: the header should be %(expected)s.")
                                    % {"column": name[:60], "expected": expected}))
        elif canonical in seen:
            problems.append(problem(1, canonical, _("Column %(column)s appears twice.") % {"column": canonical}))
        else:
            seen.append(canonical)
    for name in columns:
        if name not in seen and not problems:
            problems.append(problem(1, name, _("Column %(column)s is missing: the header should be %(expected)s.")
                                    % {"column": name, "expected": expected}))
    if problems:
        if not any(lookup.get(name.lower()) for name in names):
            problems = [problem(1, "", _("This is not %(what)s: the first line should be the header %(expected)s.")
                                % {"what": what, "expected": expected})]
        raise FileProblem(problems)
    return [columns[name] for name in seen], rest if newline else b""


def header_and_body(stream, columns, *, what, hashing=False):
    """Read the header line of the CSV `stream` (binary file-like) as `stage` does, raising FileProblem when it is not
    `columns`' header: returns (our column names in file order, an iterator over the bytes after the header line in
    chunks of up to 1 MiB, for a COPY of the rest elsewhere; and, when `hashing`, the SHA-256 of every byte read, header
    included: complete once the iterator is exhausted, else None)."""
    uploaded = _HashingReader(stream, hashing=hashing)  # the bytes as uploaded: hashed and counted
    reader = _HashingReader(ungzipped(uploaded), hashing=False)
    order, rest = _header(reader, columns, what=what)

    def body():
        if rest:
            yield rest
        while chunk := reader.read(CHUNK):
            yield chunk
    return order, body(), uploaded.sha


def mentions(stream, words):
    """Whether any of `words` (lower-case bytes) appears in `stream` (binary, read from where it stands to its end, in
    1 MiB chunks; a gzipped stream decompressed), in any case."""
    tail = b""
    longest = max(len(word) for word in words)
    stream = ungzipped(stream)
    while chunk := stream.read(CHUNK):
        text = tail + (chunk.encode("utf-8") if isinstance(chunk, str) else chunk).lower()
        if any(word in text for word in words):
            return True
        tail = text[-(longest - 1):]
    return False


def seekable(stream):
    """Whether `stream` can be read again from where it stands (a file, an upload), as `prehash` tells."""
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError):
        return False


def prehash(stream):
    """(SHA-256 hex, a stream that reads the same bytes again from the start): the file is read once, in chunks, before
    anything is staged, so an import can answer "nothing changed" without a COPY. A seekable stream (a file, an
    upload) is hashed and rewound; any other is copied while hashing into a temporary file (in memory up to 8 MiB)."""
    sha = hashlib.sha256()
    if seekable(stream):
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


def stage(stream, *, table, columns, what, plain_quotes=False, sha256=None):
    """COPY the CSV `stream` (binary file-like) into a new TEMP table `table` (text columns + `line`), dropped at the
    end of the transaction. Returns (sha256 hex, byte size, data line count); `sha256`, when given (from `prehash`),
    is returned as it is instead of hashing again. Must run inside a transaction."""
    uploaded = _HashingReader(stream, hashing=sha256 is None)  # the bytes as uploaded: hashed (as prehash), counted
    reader = _HashingReader(ungzipped(uploaded), plain_quotes, hashing=False)
    try:
        order, rest = _header(reader, columns, what=what)
    except FileProblem:
        reader.drain()
        raise
    column_sql = ", ".join(f"{name} text" for name in columns.values())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMP TABLE {table} (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2 CACHE 1000), "
                       f"{column_sql}) ON COMMIT DROP")
        # The identity numbers the records in file order: line 2 is the first after the header.
        raw = cursor.cursor  # psycopg's own cursor: COPY streams through it
        sql = (f"COPY {table} ({', '.join(order)}) FROM STDIN "
               "WITH (FORMAT csv, HEADER false, NULL '\x01null\x01', ENCODING 'UTF8')")
        try:
            with raw.copy(sql) as copy:
                if rest:
                    copy.write(rest)
                while chunk := reader.read(CHUNK):
                    copy.write(chunk)
        except FileProblem:  # a damaged gzip stream
            raise
        except Exception as exc:  # psycopg's DataError/BadCopyFileFormat: a line COPY cannot read
            reader.drain()
            raise FileProblem([_copy_problem(exc)]) from None
        count = raw.rowcount  # the rows COPY wrote
    return sha256 or uploaded.sha.hexdigest(), uploaded.size, count


def _copy_problem(exc):
    import re

    diag = getattr(exc, "diag", None)
    context = getattr(diag, "context", "") or ""
    message = getattr(diag, "message_primary", "") or str(exc).splitlines()[0]
    found = re.search(r"line (\d+)", context)
    line = int(found.group(1)) + 1 if found else 0  # COPY counts from the first line after the header
    if "invalid byte sequence" in message or "encoding" in message.lower():
        reason = _("The file is not UTF-8 text (%(detail)s).") % {"detail": message}
    elif "extra data" in message or "missing data" in message:
        reason = _("This line does not have the header's number of columns (%(detail)s).") % {"detail": message}
    elif "unterminated CSV quoted field" in message:
        reason = _("A quoted field is never closed: this is not valid CSV.")
    else:
        reason = _("This line cannot be read as CSV (%(detail)s).") % {"detail": message}
    return problem(line, "", reason)


# PostgreSQL expressions turning the staged text into values; NULL when the text does not parse (checked first).
NUMBER_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# Microsoft writes "11/30/9999 11:59:59 PM" and "2/1/2019 12:00:00 AM" (month/day/year, 12-hour clock, UTC); ISO 8601
# dates (2019-02-01, 2019-02-01T00:00:00Z) are accepted too. Parsed without raising: an impossible date is NULL.
US_DATETIME_RE = (r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: +([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))? *([AaPp][Mm])?)?$")
ISO_DATETIME_RE = r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?(?:\.[0-9]+)?Z?)?()$"


def datetime_sql(parts):
    """SQL turning `parts` (the text[] of regexp_match with US_DATETIME_RE or ISO_DATETIME_RE, normalised to
    {month, day, year, hour, minute, second, AM/PM}) into a UTC timestamptz, or NULL for an impossible date. Nested
    CASEs only: nothing can raise, so one bad line never stops the checks of the others."""
    p = parts
    hour = f"coalesce({p}[4], '0')::int"
    hour24 = (f"(CASE WHEN {p}[7] IS NULL THEN {hour} WHEN upper({p}[7]) = 'AM' THEN mod({hour}, 12) "
              f"ELSE mod({hour}, 12) + 12 END)")
    valid_time = (f"(CASE WHEN {p}[7] IS NULL THEN {hour} <= 23 ELSE {hour} BETWEEN 1 AND 12 END "
                  f"AND coalesce({p}[5], '0')::int <= 59 AND coalesce({p}[6], '0')::int <= 59)")
    return (f"(CASE WHEN {p} IS NULL THEN NULL "
            f"WHEN NOT ({p}[1]::int BETWEEN 1 AND 12 AND {p}[2]::int BETWEEN 1 AND 31 AND {p}[3]::int >= 1) THEN NULL "
            f"WHEN {p}[2]::int > extract(day FROM make_date({p}[3]::int, {p}[1]::int, 1) + interval '1 month - 1 day') "
            f"THEN NULL WHEN NOT {valid_time} THEN NULL "
            f"ELSE make_timestamptz({p}[3]::int, {p}[1]::int, {p}[2]::int, {hour24}, "
            f"coalesce({p}[5], '0')::int, coalesce({p}[6], '0')::double precision, 'UTC') END)")


def datetime_parts_sql(column):
    """text[] {month, day, year, hour, minute, second, AM/PM} of a staged date text in either accepted form."""
    value = f"btrim({column})"
    return (f"coalesce(regexp_match({value}, '{US_DATETIME_RE}'), "
            f"(SELECT ARRAY[m[2], m[3], m[1], m[4], m[5], m[6], NULL] FROM regexp_match({value}, '{ISO_DATETIME_RE}') m))")


def number_sql(column):
    return f"(CASE WHEN btrim({column}) ~ '{NUMBER_RE}' THEN btrim({column})::numeric END)"


def blank(column):
    return f"coalesce(btrim({column}), '') = ''"


def sql_message(message, **values):
    """A translated message with %(name)s placeholders as an SQL text expression and its parameters: each
    placeholder is the SQL expression `values[name]` (NULL as empty), the rest are parameters, so a translator
    sees the whole sentence."""
    parts = re.split(r"%\((\w+)\)s", message)
    sql, params = [], []
    for index, part in enumerate(parts):
        if index % 2:
            sql.append(f"coalesce(({values[part]})::text, '')")
        elif part:
            sql.append("%s")
            params.append(part.replace("%%", "%"))
    return " || ".join(sql) or "''", params


def fetch_problems(sql, params=()):
    """Run the UNION of checks `sql` (rows of line, column, reason); return (problems listed, total)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) AS p", params)
        total = cursor.fetchone()[0]
        if not total:
            return [], 0
        cursor.execute(f"SELECT line, col, reason FROM ({sql}) AS p ORDER BY line, col LIMIT {MAX_ERRORS}", params)
        return [problem(line, column, reason) for line, column, reason in cursor.fetchall()], total


def as_text(stream):
    """A binary file-like object over `data` (bytes or str) or an open file as it is."""
    if isinstance(data := stream, (bytes, bytearray)):
        return io.BytesIO(bytes(data))
    if isinstance(data, str):
        return io.BytesIO(data.encode("utf-8"))
    return stream
