"""How billing.usage tells the packages above it (billing.rating) that usage changed, without importing them.

billing.rating registers a listener from the app's ready() (billing/registrations.py). Ingestion calls
`usage_changed` inside the transaction that wrote the rows, after it set `rated_at` to NULL on every row it added or
changed: a listener re-rates what is unrated in those months (only the meters that changed), so an import and its
rating commit together or not at all."""

import datetime as dt
from collections.abc import Callable, Iterable

_listeners: list[Callable[..., None]] = []


def on_usage_changed(listener: Callable[..., None]) -> Callable[..., None]:
    """Register `listener(*, organisation_id: int, months: list[date])`; registering twice is a no-op."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def usage_changed(*, organisation_id: int, months: Iterable[dt.date]) -> None:
    months = sorted(set(months))
    if not months:
        return
    for listener in list(_listeners):
        listener(organisation_id=organisation_id, months=months)
