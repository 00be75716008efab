"""billing's models, one module per sub-domain (pricing, usage, rating, invoicing)."""

from .invoicing import (
    INVOICE_TRANSITIONS,
    BillingRun,
    BillingRunChunk,
    BillingRunTrigger,
    DocumentType,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)
from .pricing import ExchangeRate, ImportKind, PriceList, PriceSheetRow, PriceSheetView, PricingImport
from .rating import BudgetAlert, PecDay, PecReason, SpendingBudget
from .usage import (
    ClosedUsageMonth,
    NotRatedReason,
    UnmatchedUsage,
    UnmatchedUsageReason,
    UsageImport,
    UsageImportSource,
    UsageRecord,
)
from .usage_upload import UsageUpload

__all__ = [
    "INVOICE_TRANSITIONS", "BillingRun", "BillingRunChunk", "BillingRunTrigger", "DocumentType", "Invoice",
    "InvoiceCounter", "InvoiceLine", "InvoiceStatus", "Payment", "PaymentAllocation",
    "BudgetAlert", "ClosedUsageMonth", "ExchangeRate", "ImportKind", "NotRatedReason", "PecDay", "PecReason",
    "PriceList", "PriceSheetRow", "PriceSheetView", "PricingImport", "SpendingBudget", "UnmatchedUsage",
    "UnmatchedUsageReason", "UsageImport", "UsageImportSource", "UsageRecord", "UsageUpload",
]
