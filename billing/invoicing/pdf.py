"""The PDF of an issued invoice or credit note (domain.md §4.5; docs/billing.md "Invoice documents").

`ensure_pdf(invoice)` renders the document once, stores its bytes and SHA-256 on the invoice, and returns the stored
bytes every time after: the file a partner downloaded in May is the file it downloads in December, whatever changed
in the template, the settings or the organisation since. The store is one `UPDATE ... WHERE pdf IS NULL`, so two
concurrent first downloads (or the billing run's on-commit render and a download) store one PDF and both return it;
the database trigger of migration 0007 lets the PDF be written once and never again.

Rendering uses the `typst` wheel (self-contained: no system library, no font of the machine: only typst's bundled
fonts, so a fresh `pip install` renders the same bytes) with the template billing/invoicing/typst/invoice.typ. The
data goes in as one JSON text (`sys.inputs.data`): every user-provided text (names, the credit note's reason, the
issuer settings) is a string value the template places as text, never markup it evaluates. The PDF's creation date
is the invoice date, so the same invoice renders the same bytes.

Language: French when the organisation's invoice recipients (its active Global and Billing admins) chose French
more often than English in their profile; when none chose (or as many each), French for an organisation located
in a French-speaking country (FR_COUNTRIES); else English. Labels go through Django's gettext (locale/fr).
"""

import datetime as dt
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.utils import formats, translation
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Organisation, User

from ..models import DocumentType, Invoice, InvoiceLine, InvoiceStatus

TEMPLATE = Path(__file__).resolve().parent / "typst" / "invoice.typ"
FR_COUNTRIES = frozenset({"FR", "MC"})  # French the one official language; BE, CA, CH, LU: the admins' choice
NBSP = "\u00a0"


class InvoiceNotIssued(ValueError):
    """A draft has no PDF: its lines and totals may still change."""


def ensure_pdf(invoice: Invoice) -> bytes:
    """The stored PDF of `invoice` (rendered and stored the first time). A void invoice that never had one is
    rendered without being stored (a void invoice cannot change); a draft raises InvoiceNotIssued."""
    # Read again: the caller's instance may predate the finalizing (no number yet), and the PDF is kept forever.
    fresh = Invoice.objects.select_related("organisation__country", "amends_of").get(pk=invoice.pk)
    if fresh.pdf is not None:
        return _remember(invoice, fresh.pdf, fresh.pdf_sha256)
    if fresh.status == InvoiceStatus.DRAFT:
        raise InvoiceNotIssued(f"invoice {invoice.public_id} is a draft")
    pdf = render_pdf(fresh)
    digest = hashlib.sha256(pdf).hexdigest()
    if fresh.status == InvoiceStatus.VOID:
        return _remember(invoice, pdf, digest)
    Invoice.objects.filter(pk=invoice.pk, pdf__isnull=True).exclude(status=InvoiceStatus.VOID).update(
        pdf=pdf, pdf_sha256=digest)
    stored = Invoice.objects.filter(pk=invoice.pk).values_list("pdf", "pdf_sha256").get()
    return _remember(invoice, stored[0] if stored[0] is not None else pdf, stored[1] or digest)


def _remember(invoice, pdf, digest) -> bytes:
    invoice.pdf, invoice.pdf_sha256 = bytes(pdf), digest
    return invoice.pdf


def render_pdf(invoice: Invoice) -> bytes:
    """Render `invoice` (nothing stored): the same bytes for the same invoice, lines and settings."""
    language = invoice_language(invoice.organisation)
    with translation.override(language):
        data = document_data(invoice, language)
    return compile_pdf(data, created=invoice.invoice_date or invoice.period_end)


def compile_pdf(data: dict, *, created: dt.date) -> bytes:
    """The template rendered with `data` (document_data's shape), its creation date `created`."""
    import typst  # imported here: the portal starts without loading the engine

    stamp = dt.datetime.combine(created, dt.time(), tzinfo=dt.UTC)
    return typst.compile(str(TEMPLATE), format="pdf", sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
                         ignore_system_fonts=True, font_paths=[], timestamp=stamp)


def invoice_language(organisation: Organisation) -> str:
    """"fr" or "en" for the organisation's invoices (see the module's docstring)."""
    recipients = User.objects.filter(organisation=organisation, is_active=True).filter(
        Q(roles__contains=[Role.GLOBAL_ADMIN.value]) | Q(roles__contains=[Role.BILLING_ADMIN.value]))
    chosen = recipients.aggregate(fr=Count("pk", filter=Q(language__istartswith="fr")),
                                  en=Count("pk", filter=Q(language__istartswith="en")))
    if chosen["fr"] != chosen["en"]:
        return "fr" if chosen["fr"] > chosen["en"] else "en"
    return "fr" if organisation.country_id in FR_COUNTRIES else "en"


# ---------------------------------------------------------------- what the document shows


def _amount(value, currency, language) -> str:
    """1,234.56 USD (English) or 1 234,56 EUR (French, non-breaking spaces)."""
    value = Decimal(value or 0).quantize(Decimal("0.01"))
    text = f"{abs(value):,.2f}"
    if language == "fr":
        text = text.replace(",", NBSP).replace(".", ",")
    return f"{'-' if value < 0 else ''}{text}{NBSP}{currency}"


def _decimal(value, language) -> str:
    text = format(Decimal(value).normalize(), "f") if value is not None else ""
    return text.replace(".", ",") if language == "fr" else text


def _rate_shown(rate) -> Decimal:
    """The exchange rate as a reader checks it: nine decimals at most, as Microsoft's reconciliation files give it
    (a rate stored as a quotient has up to 28; amounts are computed from the stored one)."""
    return Decimal(rate).quantize(Decimal("0.000000001"), rounding=ROUND_HALF_UP) if rate else Decimal(0)


def _date(day, style="DATE_FORMAT") -> str:
    return formats.date_format(day, style) if day else ""


def _lines(text) -> list[str]:
    """A multi-line setting: lines split on newlines or on "|" (one environment variable holds them all)."""
    return [part.strip() for part in str(text or "").replace("|", "\n").splitlines() if part.strip()]


def customer_summary(invoice) -> list[dict]:
    """The invoice's lines summed by customer, by name: one query, grouped in the database."""
    return list(InvoiceLine.objects.filter(invoice=invoice)
                .values("customer_id", "customer__company_name", "customer__country_id")
                .annotate(lines=Count("id"), amount=Sum("subtotal"))
                .order_by("customer__company_name", "customer_id"))


def document_data(invoice: Invoice, language: str) -> dict:
    """Every text and figure of the PDF, translated in the active language and formatted (the template's input)."""
    organisation = invoice.organisation
    currency = invoice.currency
    credit_note = invoice.document_type == DocumentType.CREDIT_NOTE
    rate = InvoiceLine.objects.filter(invoice=invoice).aggregate(rate=Max("exchange_rate"),
                                                                 day=Max("exchange_rate_date"))
    money = lambda value: _amount(value, currency, language)  # noqa: E731
    title = _("Credit note") if credit_note else _("Invoice")
    period = " – ".join(_date(day, "SHORT_DATE_FORMAT") for day in (invoice.period_start, invoice.period_end))
    facts = [
        (_("Credit note number") if credit_note else _("Invoice number"), invoice.number or ""),
        (_("Credit note date") if credit_note else _("Invoice date"), _date(invoice.invoice_date)),
        (_("Billing period"), period),
        (_("Billing profile (PartnerID)"), organisation.partner_id),
        (_("Billing currency"), currency),
        (_("Total amount"), money(invoice.total_amount)),
    ]
    if not credit_note:
        facts[2:2] = [(_("Payment terms"), _("Net 60 days")), (_("Due on"), _date(invoice.due_date))]
    tax_label = _("Tax")
    if invoice.tax_total and invoice.subtotal:
        share = (Decimal(invoice.tax_total) * 100 / Decimal(invoice.subtotal)).quantize(Decimal("0.01"))
        tax_label = f"{tax_label} ({_decimal(share, language)}{NBSP}%)"
    totals = [
        (_("Charges"), money(invoice.total_charges), False),
        (_("Credits"), money(invoice.total_credits), False),
        (_("Subtotal"), money(invoice.subtotal), False),
        (tax_label, money(invoice.tax_total), False),
        (_("Total"), money(invoice.total_amount), True),
    ]
    if invoice.pricing_currency == currency:
        pricing = _("Pricing currency: %(pricing)s (no conversion).") % {"pricing": invoice.pricing_currency}
    else:
        pricing = _("Pricing currency: %(pricing)s, pricing total %(total)s. Exchange rate to the billing currency: "
                    "1 %(pricing)s = %(rate)s %(currency)s (rate of %(day)s).") % {
            "pricing": invoice.pricing_currency, "currency": currency,
            "total": _amount(invoice.pricing_total, invoice.pricing_currency, language),
            "rate": _decimal(_rate_shown(rate["rate"]), language), "day": _date(rate["day"])}
    customers = [[row["customer__company_name"], row["customer__country_id"] or "", str(row["lines"]),
                  money(row["amount"])] for row in customer_summary(invoice)]
    instructions = _lines(settings.BILLING_PAYMENT_INSTRUCTIONS) or [
        _("Pay by bank transfer to the account named in your partner agreement.")]
    quote = (_("This credit note reduces the amount you owe; quote its number %(number)s and that of the invoice it "
               "amends in any correspondence.") if credit_note else
             _("Please quote the invoice number %(number)s with your payment.")) % {"number": invoice.number}
    amends = invoice.amends_of
    return {
        "lang": language,
        "labels": {"bill_to": _("Bill to"), "partner_id": _("PartnerID"), "summary": _("Summary"),
                   "by_customer": _("Charges by customer"), "customer": _("Customer"), "country": _("Country"),
                   "lines": _("Lines"), "amount": _("Amount"), "subtotal": _("Subtotal"),
                   "payment": _("Payment instructions"), "amends": _("Amends invoice"), "reason": _("Reason")},
        "doc": {"title": title, "number": invoice.number or "",
                "amends": (amends.number or "") if credit_note and amends else "",
                "reason": invoice.reason if credit_note else ""},
        "issuer": {"name": settings.BILLING_ISSUER_NAME, "address": _lines(settings.BILLING_ISSUER_ADDRESS)},
        "bill_to": {"name": organisation.name, "country": organisation.country.name_fr if language == "fr"
                    else organisation.country.name, "partner_id": organisation.partner_id},
        "facts": [list(f) for f in facts],
        "totals": [list(t) for t in totals],
        "pricing_note": pricing,
        "customers": customers,
        "subtotal": money(invoice.subtotal),
        "payment": [*instructions, quote],
    }
