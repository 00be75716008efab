"""Reading usage files into one staging table: Microsoft's daily rated usage CSV (domain.md §4.3), the newer export's
gzipped JSON lines (api.md §17, "full" and "basic" attribute sets) and a JSON batch of DailyRatedUsageLineItem-style
objects (api.md §16.5). Each becomes the TEMP table `usage_stage`: one text column per UsageRecord input column (the
names of `STAGE_COLUMNS`), NULL where the file has no such column, and `line` (the line of the file, 1 = the CSV
header; for JSON lines the line; for a batch the item's position, from 1).

Nothing loops over rows in Python for the files: a CSV goes to COPY as it is, in 1 MiB chunks after its header line;
JSON lines go to COPY as one text value per line and are projected into the stage by PostgreSQL (jsonb_to_record). A
JSON batch (scripts; bounded by the request size) is parsed once and fed to the same COPY one item per line.
"""

import csv
import io
import json
import re

from django.db import connection
from django.utils.translation import gettext as _

from ..pricing.loader import CHUNK, FileProblem, Prefixed, Ungzipped, problem
from ..pricing.loader import _copy_problem as copy_problem

# The stage's columns: UsageRecord's input fields and Microsoft's figures, as text. `ms_pec_rate` / `ms_credit_rate`
# hold the API's fractions (0.15) where a file gives percentages (15).
STAGE_COLUMNS = (
    "partner_id", "customer_id", "entitlement_id", "usage_date",
    "product_id", "sku_id", "availability_id", "product_name", "sku_name", "publisher_name", "publisher_id",
    "meter_id", "meter_type", "meter_category", "meter_subcategory", "meter_name", "meter_region", "unit", "unit_type",
    "resource_location", "consumed_service", "resource_group", "resource_uri", "charge_type", "service_info1",
    "service_info2", "tags", "additional_info", "benefit_order_id", "benefit_id", "benefit_type", "quantity",
    "ms_unit_price", "ms_effective_unit_price", "ms_billing_pre_tax_total", "ms_billing_currency",
    "ms_pricing_pre_tax_total", "ms_pricing_currency", "ms_exchange_rate", "ms_exchange_rate_date",
    "ms_pec_percentage", "ms_pec_rate", "ms_credit_percentage", "ms_credit_rate", "ms_credit_type",
)

# Microsoft's daily rated usage file (domain.md §4.3) and the v2 export's attributes (api.md §17): the same names.
_FILE_NAMES = {
    "PartnerId": "partner_id", "CustomerId": "customer_id", "EntitlementId": "entitlement_id", "UsageDate": "usage_date",
    "ProductId": "product_id", "SkuId": "sku_id", "AvailabilityId": "availability_id", "ProductName": "product_name",
    "SkuName": "sku_name", "PublisherName": "publisher_name", "PublisherId": "publisher_id", "MeterId": "meter_id",
    "MeterType": "meter_type", "MeterCategory": "meter_category", "MeterSubCategory": "meter_subcategory",
    "MeterName": "meter_name", "MeterRegion": "meter_region", "Unit": "unit", "UnitType": "unit_type",
    "ResourceLocation": "resource_location", "ConsumedService": "consumed_service", "ResourceGroup": "resource_group",
    "ResourceURI": "resource_uri", "ChargeType": "charge_type", "ServiceInfo1": "service_info1",
    "ServiceInfo2": "service_info2", "Tags": "tags", "AdditionalInfo": "additional_info",
    "BenefitOrderId": "benefit_order_id", "BenefitId": "benefit_id", "BenefitType": "benefit_type",
    "Quantity": "quantity", "UnitPrice": "ms_unit_price", "EffectiveUnitPrice": "ms_effective_unit_price",
    "BillingPreTaxTotal": "ms_billing_pre_tax_total", "BillingCurrency": "ms_billing_currency",
    "PricingPreTaxTotal": "ms_pricing_pre_tax_total", "PricingCurrency": "ms_pricing_currency",
    "PCToBCExchangeRate": "ms_exchange_rate", "PCToBCExchangeRateDate": "ms_exchange_rate_date",
    "PartnerEarnedCreditPercentage": "ms_pec_percentage", "CreditPercentage": "ms_credit_percentage",
    "CreditType": "ms_credit_type",
}
# The file's other columns are read and ignored (names, invoice number, MPN ids, charge period, ...).
CSV_COLUMNS = {name.lower(): column for name, column in _FILE_NAMES.items()}
CSV_REQUIRED = ("CustomerId", "EntitlementId", "UsageDate", "ProductId", "SkuId", "MeterId", "Quantity")

# JSON lines of the v2 export: the file's names, with the spellings the export uses (BenefitOrderID, BenefitID).
JSONL_KEYS = {column: [name] for name, column in _FILE_NAMES.items()}
for _column, _extra in (("benefit_order_id", "BenefitOrderID"), ("benefit_id", "BenefitID"),
                        ("resource_uri", "ResourceUri"), ("meter_subcategory", "MeterSubcategory")):
    JSONL_KEYS[_column].append(_extra)

# The JSON batch: DailyRatedUsageLineItem's names (api.md §16.5).
BATCH_KEYS = {
    "partner_id": ["partnerId"], "customer_id": ["customerId"], "entitlement_id": ["entitlementId"],
    "usage_date": ["usageDate"],
    "product_id": ["productId"], "sku_id": ["skuId"], "availability_id": ["availabilityId"],
    "product_name": ["productName"], "sku_name": ["skuName"], "publisher_name": ["publisherName"],
    "publisher_id": ["publisherId"], "meter_id": ["meterId"], "meter_type": ["meterType"],
    "meter_category": ["meterCategory"], "meter_subcategory": ["meterSubCategory"], "meter_name": ["meterName"],
    "meter_region": ["meterRegion"], "unit": ["unitOfMeasure", "unit"], "unit_type": ["unitType"],
    "resource_location": ["resourceLocation"], "consumed_service": ["consumedService"],
    "resource_group": ["resourceGroup"], "resource_uri": ["resourceUri"], "charge_type": ["chargeType"],
    "service_info1": ["serviceInfo1"], "service_info2": ["serviceInfo2"], "tags": ["tags"],
    "additional_info": ["additionalInfo"], "benefit_order_id": ["benefitOrderId"], "benefit_id": ["benefitId"],
    "benefit_type": ["benefitType"], "quantity": ["quantity"], "ms_unit_price": ["unitPrice"],
    "ms_effective_unit_price": ["effectiveUnitPrice"], "ms_billing_pre_tax_total": ["billingPreTaxTotal"],
    "ms_billing_currency": ["billingCurrency"], "ms_pricing_pre_tax_total": ["pricingPreTaxTotal"],
    "ms_pricing_currency": ["pricingCurrency"], "ms_exchange_rate": ["pcToBCExchangeRate"],
    "ms_exchange_rate_date": ["pcToBCExchangeRateDate"], "ms_pec_rate": ["rateOfPartnerEarnedCredit"],
    "ms_credit_rate": ["rateOfCredit"], "ms_credit_type": ["creditType"],
}
# The names a message quotes for a stage column, per source.
CSV_LABELS = {column: name for name, column in _FILE_NAMES.items()}
BATCH_LABELS = {column: names[0] for column, names in BATCH_KEYS.items()}

SOURCES = ("csv", "jsonl", "batch")
_BATCH_START = re.compile(rb'^\s*(\[|\{\s*"items"\s*:)')
MAX_BATCH_BYTES = 100 * 1024 * 1024


def labels(source):
    return BATCH_LABELS if source == "batch" else CSV_LABELS


def _read_head(stream, size=64 * 1024):
    data = stream.read(size)
    return data.encode("utf-8") if isinstance(data, str) else (data or b"")


def open_source(stream, source=None):
    """(source, binary stream of the content): gzip is undone on the fly; `source` None detects csv (text starting
    with a header), batch (`[` or `{"items": ...`) or jsonl (one JSON object per line)."""
    head = _read_head(stream)
    if head[:2] == b"\x1f\x8b":
        stream = Ungzipped(Prefixed(head, stream))  # corrupt data, or too much of it, is a FileProblem while read
        try:
            head = _read_head(stream)
        except FileProblem:
            raise FileProblem([problem(1, "", _("The file looks gzip-compressed but cannot be decompressed."))]) \
                from None
    body = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if source in (None, "", "auto"):
        if _BATCH_START.match(body):
            source = "batch"
        elif body.startswith(b"{"):
            source = "jsonl"
        else:
            source = "csv"
    elif source == "json":
        source = "batch"
    if source not in SOURCES:
        raise FileProblem([problem(0, "", _("Unknown source “%(source)s”: csv, jsonl or batch.")
                                   % {"source": str(source)[:20]})])
    return source, Prefixed(head, stream)


class _Counting:
    """Counts the newlines of what COPY reads, and reports them to `progress(lines)` about every 8 MiB."""

    def __init__(self, stream, progress):
        self.stream = stream
        self.progress = progress
        self.lines = 0
        self._since = 0

    def read(self, size=CHUNK):
        data = self.stream.read(size)
        if self.progress is not None and data:
            self.lines += data.count(b"\n")
            self._since += len(data)
            if self._since >= 8 * CHUNK:
                self._since = 0
                self.progress(self.lines)
        return data


def _create_stage(extra=()):
    columns = ", ".join(f"{name} text" for name in (*STAGE_COLUMNS, *extra))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS usage_stage")
        cursor.execute(f"CREATE TEMP TABLE usage_stage (line bigint GENERATED BY DEFAULT AS IDENTITY "
                       f"(START WITH 2 CACHE 1000), {columns}) ON COMMIT DROP")


def _copy(sql, first, reader):
    with connection.cursor() as cursor:
        raw = cursor.cursor
        try:
            with raw.copy(sql) as copy:
                if first:
                    copy.write(first)
                while chunk := reader.read(CHUNK):
                    copy.write(chunk)
        except FileProblem:  # a damaged gzip stream, or one too large once decompressed (pricing.loader.Ungzipped)
            raise
        except (OSError, EOFError) as exc:  # a broken gzip stream
            raise FileProblem([problem(0, "", _("The file cannot be decompressed (%(detail)s).")
                                       % {"detail": str(exc)[:200]})]) from None
        except Exception as exc:  # psycopg's DataError / BadCopyFileFormat: a line COPY cannot read
            raise FileProblem([copy_problem(exc)]) from None
        return raw.rowcount


def _csv_header(reader):
    buffer = b""
    while b"\n" not in buffer and len(buffer) <= 256 * 1024:
        chunk = reader.read(CHUNK)
        if not chunk:
            break
        buffer += chunk
    if not buffer.strip():
        raise FileProblem([problem(1, "", _("The file is empty: it should be Microsoft's daily rated usage file "
                                           "(CSV, starting with its header line), JSON lines or a JSON batch."))])
    if b"\x00" in buffer:
        raise FileProblem([problem(1, "", _("This is not a CSV file (it holds binary data)."))])
    line, newline, rest = buffer.partition(b"\n")
    try:
        text = line.decode("utf-8").lstrip("\ufeff").rstrip("\r")
    except UnicodeDecodeError:
        raise FileProblem([problem(1, "", _("This is not a UTF-8 CSV file."))]) from None
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    try:
        names = [name.strip() for name in next(csv.reader([text]))]
    except (csv.Error, StopIteration):
        names = []
    order, seen, problems = [], set(), []
    for index, name in enumerate(names):
        column = CSV_COLUMNS.get(name.lower())
        if column is None or column in seen:
            if column in seen:
                problems.append(problem(1, name, _("Column %(column)s appears twice.") % {"column": name}))
            order.append(f"x_{index}")
        else:
            seen.add(column)
            order.append(column)
    missing = [name for name in CSV_REQUIRED if _FILE_NAMES[name] not in seen]
    if len(missing) == len(CSV_REQUIRED):
        raise FileProblem([problem(1, "", _("This is not Microsoft's daily rated usage file. Its first line should "
                                           "be the header (PartnerId, CustomerId, ..., EntitlementId, ...); JSON "
                                           "lines and a JSON batch are also accepted."))])
    problems += [problem(1, name, _("Column %(column)s is missing: Microsoft's daily rated usage file has it.")
                         % {"column": name}) for name in missing]
    if problems:
        raise FileProblem(problems)
    return order, rest if newline else b""


def stage_csv(stream, progress=None):
    """COPY a daily rated usage CSV into usage_stage; returns the data lines staged."""
    reader = _Counting(stream, progress)
    order, rest = _csv_header(reader)
    _create_stage(extra=[name for name in order if name.startswith("x_")])
    sql = (f"COPY usage_stage ({', '.join(order)}) FROM STDIN "
           "WITH (FORMAT csv, HEADER false, NULL '\x01null\x01', ENCODING 'UTF8')")
    return _copy(sql, rest, reader)


def _stage_json_lines(reader, keys, *, start):
    """COPY one JSON text per line into usage_raw, then project the objects into usage_stage. A line that is not a
    JSON object is listed (FileProblem with every such line)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS usage_raw")
        cursor.execute(f"CREATE TEMP TABLE usage_raw (line bigint GENERATED BY DEFAULT AS IDENTITY "
                       f"(START WITH {start} CACHE 1000), doc text) ON COMMIT DROP")
    # No JSON text holds the bytes 0x01 or 0x02 (control characters are escaped in JSON): one field per line.
    _copy("COPY usage_raw (doc) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02', "
          "ENCODING 'UTF8')", b"", reader)
    _create_stage()
    record = ", ".join(f'"{name}" text' for names in keys.values() for name in names)
    values = ", ".join(f"coalesce({', '.join(chr(34) + n + chr(34) for n in names)})" if len(names) > 1
                       else f'"{names[0]}"' for names in keys.values())
    sql = (f"INSERT INTO usage_stage (line, {', '.join(keys)}) "
           f"SELECT r.line, {values} FROM usage_raw r, jsonb_to_record(r.doc::jsonb) AS j({record}) "
           f"WHERE btrim(r.doc) <> ''")
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT usage_json")
        try:
            cursor.execute(sql)
        except Exception:  # a line that is not a JSON object: list them all (slow path, bad files only)
            cursor.execute("ROLLBACK TO SAVEPOINT usage_json")
            raise FileProblem(_json_problems()) from None
        count = cursor.rowcount
        cursor.execute("RELEASE SAVEPOINT usage_json")
        return count


def _json_problems():
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE OR REPLACE FUNCTION pg_temp.usage_json_object(doc text) RETURNS boolean AS $$
            BEGIN
                RETURN jsonb_typeof(doc::jsonb) = 'object';
            EXCEPTION WHEN others THEN
                RETURN false;
            END $$ LANGUAGE plpgsql""")
        cursor.execute("SELECT line, count(*) OVER () FROM usage_raw WHERE btrim(doc) <> '' "
                       "AND NOT pg_temp.usage_json_object(doc) ORDER BY line LIMIT 1000")
        rows = cursor.fetchall()
    if not rows:
        return [problem(0, "", _("The JSON could not be read."))]
    found = [problem(line, "", _("This line is not a JSON object.")) for line, _total in rows]
    found[0]["totalCount"] = rows[0][1]
    return found


def stage_jsonl(stream, progress=None):
    """The v2 export's JSON lines (already decompressed) into usage_stage; returns the lines staged."""
    count = _stage_json_lines(_Counting(stream, progress), JSONL_KEYS, start=1)
    if count == 0:
        raise FileProblem([problem(1, "", _("The file is empty: it holds no usage line."))])
    return count


def stage_batch(stream, progress=None):
    """A JSON batch ({"items": [...]} or a bare list) into usage_stage: each item on one line of the same COPY."""
    data = b""
    while chunk := stream.read(CHUNK):
        data += chunk
        if len(data) > MAX_BATCH_BYTES:
            raise FileProblem([problem(0, "", _("A JSON batch is at most 100 MB: send larger usage as a file (CSV or "
                                               "gzipped JSON lines)."))])
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileProblem([problem(getattr(exc, "lineno", 0), "", _("This is not valid JSON (%(detail)s).")
                                   % {"detail": str(exc)[:200]})]) from None
    items = document.get("items") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise FileProblem([problem(0, "items", _('A JSON batch is {"items": [ ... ]}: a list of usage line items.'))])
    if not items:
        raise FileProblem([problem(0, "items", _("The batch is empty: items holds no usage line item."))])
    del data, document
    text = io.BytesIO(b"".join(json.dumps(item, separators=(",", ":")).encode() + b"\n" for item in items))
    if progress is not None:
        progress(len(items))
    return _stage_json_lines(text, BATCH_KEYS, start=1)


def stage(stream, source, progress=None):
    return {"csv": stage_csv, "jsonl": stage_jsonl, "batch": stage_batch}[source](stream, progress)
