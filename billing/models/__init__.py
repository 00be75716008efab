"""billing's models, one module per sub-domain (pricing now; usage, rating and invoicing to come)."""

from .pricing import ExchangeRate, ImportKind, PriceList, PriceSheetRow, PriceSheetView, PricingImport

__all__ = ["ExchangeRate", "ImportKind", "PriceList", "PriceSheetRow", "PriceSheetView", "PricingImport"]
