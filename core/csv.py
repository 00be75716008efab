"""Every CSV file the product writes goes through here.

A text cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) is read as a formula by
spreadsheet programs (CSV injection): such a cell is written with a leading apostrophe, which spreadsheets show as
text. Numbers are left as they are: int, Decimal and float values, and text that is a plain number ("-5.2",
"+3", "1e-3").
"""

import csv
import io
import re
from decimal import Decimal

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """The cell as it is written: a number unchanged, a formula-looking text behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, Decimal)):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """csv.writer with every cell passed through `safe_cell`."""

    def __init__(self, stream, **kwargs):
        kwargs.setdefault("lineterminator", "\n")
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(stream, **kwargs) -> SafeWriter:
    return SafeWriter(stream, **kwargs)


def to_text(rows) -> str:
    buffer = io.StringIO()
    writer(buffer).writerows(rows)
    return buffer.getvalue()


def csv_response(rows, *, filename) -> HttpResponse:
    """An attachment download of `rows` (the header line first)."""
    response = HttpResponse(to_text(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def sql_safe_text(expression: str) -> str:
    """`safe_cell`'s rule as a PostgreSQL expression over the text `expression`, for files written by COPY ... TO
    STDOUT (billing.invoicing.recon): the same apostrophe before a formula-looking text, plain numbers unchanged,
    NULL as ''. `expression` is our own column name or SQL, never user input."""
    text = f"coalesce(({expression})::text, '')"
    # Nested: the pattern is matched only for the rare cell that starts with one of the characters.
    return (f"CASE WHEN left({text}, 1) NOT IN ('=', '+', '-', '@', chr(9), chr(13)) THEN {text} "
            f"WHEN {text} ~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$' THEN {text} "
            f"ELSE '''' || {text} END")
