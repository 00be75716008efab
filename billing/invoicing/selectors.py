"""Reads of invoicing, scoped in one place: an organisation's invoices, credit notes, runs and payments are its own
(a billing partner is invoiced for its own and its indirect resellers' customers; a reseller is not invoiced here,
so it sees none). Every read takes the actor and needs Perm.VIEW_INVOICES; a foreign id answers 404."""

from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.permissions import Perm, require

from ..models import BillingRun, Invoice, InvoiceStatus, Payment


def invoices_for(actor, *, include_drafts=False):
    """The actor organisation's invoices and credit notes (drafts only when asked: Partner Center shows issued
    documents; the Billing workspace shows a run's draft while it runs)."""
    require(actor, Perm.VIEW_INVOICES)
    qs = Invoice.objects.filter(organisation_id=actor.organisation_id)
    return qs if include_drafts else qs.exclude(status=InvoiceStatus.DRAFT)


def invoice_get(actor, key, *, include_drafts=False) -> Invoice:
    """One invoice by its number (G000000001, any case: Partner Center's id) or public id; 404 when not the actor's."""
    qs = invoices_for(actor, include_drafts=include_drafts)
    key = str(key).strip()
    found = qs.filter(number__iexact=key).first() if key[:1].isalpha() and len(key) <= 16 else None
    if found is None:
        try:
            found = qs.filter(public_id=key).first()
        except (ValidationError, ValueError):  # not a UUID either
            found = None
    if found is None:
        raise Http404(key)
    return found


def runs_for(actor):
    require(actor, Perm.VIEW_INVOICES)
    return BillingRun.objects.filter(organisation_id=actor.organisation_id).select_related("job", "invoice")


def payments_for(actor):
    require(actor, Perm.VIEW_INVOICES)
    return Payment.objects.filter(organisation_id=actor.organisation_id)
