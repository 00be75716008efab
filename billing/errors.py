"""Every Partner Center error billing raises. Codes of 990000 and above are this portal's extensions (docs/api.md)."""

from django.utils.translation import gettext_lazy as _

from core.errors import NotFound, PartnerCenterError


class PriceSheetInvalid(PartnerCenterError):
    """400 / 800002 with `data`: one {line, column, reason} per bad line; nothing was imported."""

    status = 400
    code = 800002
    error_name = "PriceSheetInvalid"
    default_description = _("The price sheet has errors: nothing was imported.")


class FxRatesInvalid(PartnerCenterError):
    """400 / 800002 with `data`: one {line, column, reason} per bad line; nothing was imported."""

    status = 400
    code = 800002
    error_name = "FxRatesInvalid"
    default_description = _("The exchange-rate file has errors: nothing was imported.")


class FxRateAlreadySet(PartnerCenterError):
    """409 / 990301: a different rate for a (currency, month) that already has one; `data` lists the lines."""

    status = 409
    code = 990301
    error_name = "FxRateAlreadySet"
    default_description = _("An exchange rate of this month is already set and is never changed: nothing was imported.")


class PriceListNotFound(NotFound):
    """404 / 990302: no price list for this market, view and month."""

    code = 990302
    error_name = "PriceListNotFound"
    default_description = _("No price list was imported for this market, view and month.")


class MeterNotFound(NotFound):
    """404 / 990303: no price sheet row for this product, SKU (and meter)."""

    code = 990303
    error_name = "MeterNotFound"
    default_description = _("No price was found for this product and SKU.")


class FxRatesNotFound(NotFound):
    """404 / 990304: no exchange rates for this month."""

    code = 990304
    error_name = "FxRatesNotFound"
    default_description = _("No exchange rates were imported for this month.")


class UsageSimulationRefused(PartnerCenterError):
    """400 / 800002: `simulate_usage` cannot generate the window asked (no price list for one of its months, no
    organisation to simulate); nothing was written."""

    status = 400
    code = 800002
    error_name = "UsageSimulationRefused"
    default_description = _("Usage cannot be simulated: nothing was written.")


class LineItemsNotSupported(PartnerCenterError):
    """400 / 800042 (Partner Center's "Not supported"): a line-item query this portal does not serve (yet): the
    unbilled reconciliation line items (`invoicelineitemtype=billinglineitems`, the invoicing issue) and the legacy
    providers (`provider=office|azure`)."""

    status = 400
    code = 800042
    error_name = "NotSupported"
    default_description = _("Not supported.")


# ---------------------------------------------------------------- payments, credit notes, credit limit (billing.invoicing)


class InvoiceNotOpen(PartnerCenterError):
    """409 / 990320: a credit note for an invoice that is not finalized or paid (a draft, a void invoice, a credit
    note), or a payment allocated to an invoice that owes nothing; `parameters` name the invoice and its status.
    Nothing was written."""

    status = 409
    code = 990320
    error_name = "InvoiceNotOpen"
    default_description = _("This invoice cannot take this: nothing was written.")


class CreditLimitExceeded(PartnerCenterError):
    """403 / 900121 (Partner Center's "insufficient credit limit"): a new purchase while the organisation's
    available credit (domain.md §3.9) is used up; `parameters` give the limit, the parts of the formula and what is
    available, in USD. Nothing was ordered; existing subscriptions keep running."""

    status = 403
    code = 900121
    error_name = "InsufficientCreditLimit"
    default_description = _("Unable to process order due to insufficient credit limit.")


# ---------------------------------------------------------------- rating (billing.rating)


class ExchangeRateMissing(PartnerCenterError):
    """409 / 990310: usage of a month cannot be rated because the exchange rate of the partner's billing currency for
    that month is not imported; `parameters` name the currency and the month (YYYY-MM). Nothing was rated."""

    status = 409
    code = 990310
    error_name = "ExchangeRateMissing"
    default_description = _("No exchange rate for the billing currency in this month: nothing was rated.")


class UsageFileInvalid(PartnerCenterError):
    """400 / 800002 with `data`: one {line, column, reason} per problem (the first 1,000; parameters.totalCount
    counts them all); nothing was imported."""

    status = 400
    code = 800002
    error_name = "UsageFileInvalid"
    default_description = _("The usage file has errors: nothing was imported.")


class UsageMonthClosed(PartnerCenterError):
    """409 / 990311 with `data`: the lines that would add or change usage of a month already invoiced; nothing was
    imported."""

    status = 409
    code = 990311
    error_name = "UsageMonthClosed"
    default_description = _("The file would change usage of a month already invoiced: nothing was imported.")


class UsageImportNotFound(NotFound):
    """404 / 990312: no usage import with this id for the organisation."""

    code = 990312
    error_name = "UsageImportNotFound"
    default_description = _("No usage import with this id.")


# ---------------------------------------------------------------- billing runs (billing.invoicing.runs)


class BillingMonthOpen(PartnerCenterError):
    """400 / 800002: a billing run is asked for a month that is not closed yet (the current month or a later one)."""

    status = 400
    code = 800002
    error_name = "InvalidInput"
    default_description = _("Only a closed month can be billed: choose a month before the current one.")


class UnratedUsageRemains(PartnerCenterError):
    """409 / 990330: the month still has usage rating left unrated; `data` lists the meters ({productId, skuId,
    meterId, meterName, reason, rows, quantity}), `parameters` the month. Nothing was started."""

    status = 409
    code = 990330
    error_name = "UnratedUsageRemains"
    default_description = _("The month still has unrated usage: nothing was billed.")


class MonthAlreadyInvoiced(PartnerCenterError):
    """409 / 990331: the month already has an issued invoice (`parameters.invoiceNumber`); a second run of the same
    month writes nothing."""

    status = 409
    code = 990331
    error_name = "MonthAlreadyInvoiced"
    default_description = _("This month is already invoiced: nothing was billed again.")


class BillingRunInProgress(PartnerCenterError):
    """409 / 990332: a run of the same month is not finished (`parameters.billingRunId`); resume it instead."""

    status = 409
    code = 990332
    error_name = "BillingRunInProgress"
    default_description = _("A billing run of this month is already in progress.")


class NothingToBill(PartnerCenterError):
    """409 / 990333: the month has no rated usage to invoice; nothing was started."""

    status = 409
    code = 990333
    error_name = "NothingToBill"
    default_description = _("The month has no rated usage to invoice: nothing was started.")


class BillingRunNotFound(NotFound):
    """404 / 990334: no billing run with this id for the organisation."""

    code = 990334
    error_name = "BillingRunNotFound"
    default_description = _("No billing run with this id.")
