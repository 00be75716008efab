"""Monthly partitions of billing_usagerecord (billing/models/usage.py), created on demand before rows are written.

One partition per calendar month, named billing_usagerecord_pYYYYMM. Creating one takes a transaction-scoped advisory
lock so two imports touching the same new month do not race; an existing partition is left alone. A month is
archived by detaching its partition (docs/operations.md "Scaling out")."""

import datetime as dt

from django.db import connection

_LOCK_KEY = 0x75736167  # "usag": serialises partition creation



def _date(day: dt.date) -> str:
    """A date as an SQL literal, for DDL (which takes no bound parameters)."""
    return f"DATE '{dt.date(day.year, day.month, day.day).isoformat()}'"

def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(month: dt.date) -> str:
    return f"billing_usagerecord_p{month:%Y%m}"


def existing_partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'billing_usagerecord'::regclass"
        )
        return {name for (name,) in cursor.fetchall()}


def ensure_usage_partitions(first_day: dt.date, last_day: dt.date) -> list[str]:
    """Create the monthly partitions covering first_day..last_day that do not exist yet; answer the names created.
    Call inside the transaction that writes the rows."""
    months = []
    month = month_start(first_day)
    while month <= last_day:
        months.append(month)
        month = next_month(month)
    have = existing_partitions()
    missing = [m for m in months if partition_name(m) not in have]
    if not missing:
        return []
    created = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        for month in missing:
            name = partition_name(month)
            # DDL takes no bound parameters (a server-bound cursor would send $1): the dates as literals.
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF billing_usagerecord "
                f"FOR VALUES FROM ({_date(month)}) TO ({_date(next_month(month))})")
            created.append(name)
    return created


def build_detached_partitions(months: list[dt.date]) -> dict[dt.date, str]:
    """For each of `months` that has no partition yet: a fresh table with the parent's columns and defaults, no index
    and no key yet, under the partition's name ({month: name}). Fill it, then `attach_partitions`: its indexes are
    built once over the rows instead of maintained row by row. Inside the transaction that writes the rows (the
    advisory lock is held until it ends: another import of a new month waits, then finds it attached)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    have = existing_partitions()
    built = {}
    with connection.cursor() as cursor:
        for month in months:
            name = partition_name(month)
            if name in have:
                continue
            cursor.execute(f"CREATE TABLE {name} (LIKE billing_usagerecord INCLUDING DEFAULTS)")
            built[month] = name
    return built


def attach_partitions(built: dict[dt.date, str]) -> None:
    """Attach the tables of `build_detached_partitions` (filled) as the months' partitions: ATTACH builds the
    parent's primary key, natural key and indexes on each; the CHECK constraint matching the bound, added first, spares
    ATTACH its validating scan, and is dropped after (the bound says the same)."""
    with connection.cursor() as cursor:
        for month, name in built.items():
            low, high = _date(month), _date(next_month(month))
            cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bound "
                           f"CHECK (usage_date IS NOT NULL AND usage_date >= {low} AND usage_date < {high})")
            cursor.execute(f"ALTER TABLE billing_usagerecord ATTACH PARTITION {name} FOR VALUES FROM ({low}) TO ({high})")
            cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bound")
