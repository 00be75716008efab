"""Reads of billing.usage for the pages and the API: the organisation's usage imports and the rows kept aside. Usage
imports belong to the selling organisation that ran them (an indirect reseller has none); Perm.VIEW_SPEND."""

from django.db.models import QuerySet

from accounts.permissions import Perm, require

from ..errors import UsageImportNotFound
from ..models import UnmatchedUsage, UsageImport


def import_list(*, actor) -> QuerySet:
    require(actor, Perm.VIEW_SPEND)
    return UsageImport.objects.filter(organisation_id=actor.organisation_id).select_related("job")


def import_get(*, actor, public_id) -> UsageImport:
    """One import of the actor's organisation; a foreign, unknown or malformed id is the same 404."""
    require(actor, Perm.VIEW_SPEND)
    try:
        return import_list(actor=actor).get(public_id=public_id)
    except (UsageImport.DoesNotExist, ValueError, TypeError):
        raise UsageImportNotFound() from None
    except Exception as exc:  # a malformed UUID raises django's ValidationError
        from django.core.exceptions import ValidationError

        if isinstance(exc, ValidationError):
            raise UsageImportNotFound() from None
        raise


def unmatched_list(*, actor, waiting=True, usage_import=None) -> QuerySet:
    """The rows kept aside (`waiting`: not matched yet; False: matched; None: all), newest first."""
    require(actor, Perm.VIEW_SPEND)
    rows = UnmatchedUsage.objects.filter(organisation_id=actor.organisation_id).select_related("usage_import")
    if waiting is not None:
        rows = rows.filter(matched_at__isnull=waiting)
    if usage_import is not None:
        rows = rows.filter(usage_import=usage_import)
    return rows
