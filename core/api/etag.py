"""Etags for optimistic concurrency: the one etag algorithm of the API and the pages.

Every mutable model has a `version` integer the services bump. A model without one names the column
its etag follows in `etag_field` (an order changes only its status: `etag_field = "status"`).

The etag is opaque to clients; it encodes the model, the row and that column. Services compare an
expected etag under `select_for_update`, so two writers with the same etag cannot both win.
"""

import hashlib

from django.conf import settings

from core.errors import EtagMismatch


def etag_for(instance) -> str:
    field = getattr(instance, "etag_field", "version")
    raw = f"{settings.SECRET_KEY[:8]}:{instance._meta.label}:{instance.pk}:{getattr(instance, field)}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def normalise_if_match(value):
    if not value:
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def check_etag(instance, expected):
    """Raise 412 when `expected` (from If-Match) is given and no longer matches."""
    if expected is None or expected == "*":
        return
    if expected != etag_for(instance):
        raise EtagMismatch()
