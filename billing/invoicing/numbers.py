"""Gap-free invoice numbers: `G` and nine digits (G000000001), one sequence per billed organisation.

A number is drawn by `next_number` inside the transaction that issues the document (finalizing an invoice,
issuing a credit note): the counter's row stays locked until that transaction ends, and a rollback gives the
number back. A PostgreSQL sequence would not do: it skips the values of rolled-back transactions."""

from django.db import connection, transaction

from ..models import InvoiceCounter
from ..models.invoicing import INVOICE_PREFIX

DIGITS = 9


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:0{DIGITS}d}"


def next_number(organisation_id: int) -> str:
    """The organisation's next invoice number (must run inside the issuing transaction)."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that issues the document")
    table = InvoiceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, prefix, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (organisation_id) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING prefix, last_value", [organisation_id, INVOICE_PREFIX])
        prefix, value = cursor.fetchone()
    return format_number(prefix, value)


@transaction.atomic
def peek(organisation_id: int) -> str:
    """The number the next document would get (for display only: it is not reserved)."""
    counter = InvoiceCounter.objects.filter(organisation_id=organisation_id).first()
    return format_number(counter.prefix if counter else INVOICE_PREFIX, (counter.last_value if counter else 0) + 1)
