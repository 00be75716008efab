"""How billing.usage tells the packages above it (billing.rating) that usage changed, without importing them.

billing.rating registers two listeners from the app's ready() (billing/registrations.py):

- `on_rate_staged(fn)`: rating the rows of an import BEFORE they are written, so each row is written once, rated.
  Ingestion projects the rows it is about to insert into a narrow TEMP table (`id`: the staged line's number, and
  UsageRecord's columns that rating reads: billing.usage.pipeline.RATE_COLUMNS) and, inside the import's
  transaction and before the INSERT, calls `fn(organisation_id=, table=, months=)` (`months`: the first days of the
  months staged). The listener may write
  PEC decisions (and set stored rows of a day whose PEC changed back to unrated) and read stored usage; it must not
  write usage rows. It answers None or the name of a TEMP table with `id` and the rating columns of UsageRecord
  (rated_at, not_rated_reason, price_list_id, unit_price, pec_percentage, effective_unit_price, pricing_currency,
  pricing_pre_tax_total, billing_currency, exchange_rate, exchange_rate_date, billing_pre_tax_total): a staged line
  whose number is an `id` there is inserted with those figures; any other row is inserted unrated. At most one
  listener.
- `on_usage_changed(fn)`: `fn(organisation_id=, months=)`, plus `staged_months=` (the months handed to the staged
  rater in this transaction) when there are any and `fn` takes that argument; called inside the transaction that
  wrote the rows, after it set `rated_at` to NULL on every row it added or changed without figures: a listener
  re-rates what is unrated in those months (only the meters that changed), so an import and its rating commit
  together or not at all.
"""

import datetime as dt
import inspect
from collections.abc import Callable, Iterable

_listeners: list[Callable[..., None]] = []
_staged_raters: list[Callable[..., str | None]] = []


def on_usage_changed(listener: Callable[..., None]) -> Callable[..., None]:
    """Register `listener(*, organisation_id: int, months: list[date])`; registering twice is a no-op."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def usage_changed(*, organisation_id: int, months: Iterable[dt.date], staged_months: Iterable[dt.date] = ()) -> None:
    """`staged_months`: the months whose rows were handed to the staged-rows rater in this transaction (so what it
    decided before rating them, PEC, need not be decided again)."""
    months = sorted(set(months))
    if not months:
        return
    staged = sorted(set(staged_months))
    for listener in list(_listeners):
        if staged and "staged_months" in inspect.signature(listener).parameters:
            listener(organisation_id=organisation_id, months=months, staged_months=staged)
        else:
            listener(organisation_id=organisation_id, months=months)


def on_rate_staged(rater: Callable[..., str | None]) -> Callable[..., str | None]:
    """Register `rater(*, organisation_id: int, table: str, months: list[date]) -> str | None` (the one rater: a new
    one replaces the previous)."""
    _staged_raters[:] = [rater]
    return rater


def has_staged_rater() -> bool:
    return bool(_staged_raters)


def rate_staged(*, organisation_id: int, table: str, months: Iterable[dt.date]) -> str | None:
    """The name of the TEMP table of figures for the rows staged in `table`, or None (no rater: write them unrated)."""
    months = sorted(set(months))
    if not months or not _staged_raters:
        return None
    return _staged_raters[0](organisation_id=organisation_id, table=table, months=months)
