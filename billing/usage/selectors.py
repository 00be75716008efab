"""Reads of billing.usage for the pages and the API: the organisation's usage imports and the rows kept aside. Usage
imports belong to the selling organisation that ran them (an indirect reseller has none); Perm.VIEW_SPEND."""

from django.db.models import QuerySet

from accounts.permissions import Perm, require

from ..errors import UsageImportNotFound
from ..models import UnmatchedUsage, UsageImport, UsageRecord


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


def import_customers(*, actor, record: UsageImport, limit=50) -> list[dict]:
    """The customers whose usage `record` wrote (rows it added or replaced: `import_id`), by name, for the import's
    report to link to their Spend pages: one statement over the report's months' partitions."""
    require(actor, Perm.VIEW_SPEND)
    months = [m for m in (record.report or {}).get("months") or [] if isinstance(m, str)]
    if not months or not record.rows_added + record.rows_replaced:
        return []
    import datetime as dt

    from .partitions import next_month

    firsts = sorted(dt.date.fromisoformat(f"{m}-01") for m in months)
    rows = (UsageRecord.objects.filter(organisation_id=actor.organisation_id, usage_date__gte=firsts[0],
                                       usage_date__lt=next_month(firsts[-1]), import_id=record.pk)
            .values("customer_id", "customer__tenant_id", "customer__company_name").distinct()
            .order_by("customer__company_name", "customer_id")[:limit])
    return [{"tenant_id": r["customer__tenant_id"], "name": r["customer__company_name"]} for r in rows]
