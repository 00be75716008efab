"""Celery tasks of billing.rating: thin wrappers over the services."""

from datetime import date

from celery import shared_task

from .services import rate_usage


@shared_task(name="billing.rating.rate_usage")
def rate_usage_task(organisation_id: int, months: list[str] | None = None) -> dict:
    """Rate an organisation's unrated usage (months as ISO dates) outside an import, e.g. after exchange rates or a
    price list arrived for a month that had unpriced rows."""
    wanted = [date.fromisoformat(m) for m in months] if months is not None else None
    result = rate_usage(organisation_id=organisation_id, months=wanted)
    return {"organisation_id": organisation_id, "rows_rated": result["rows_rated"],
            "rows_unpriced": result["rows_unpriced"]}
