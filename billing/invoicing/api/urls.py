"""/v1/ routes of Partner Center's invoices (included by partnercenter.api_urls before billing.rating's: the unbilled
line items route here answers `billinglineitems` and hands `usagelineitems` to rating's view). Literal segments
(summary, summaries, estimates, unbilled) come before the invoice id."""

from django.urls import path

from . import invoices, lineitems

urlpatterns = [
    path("invoices", invoices.InvoiceListView.as_view(), name="api-invoices"),
    path("invoices/summary", invoices.InvoiceSummaryView.as_view(), name="api-invoices-summary"),
    path("invoices/summaries", invoices.InvoiceSummariesView.as_view(), name="api-invoices-summaries"),
    path("invoices/estimates/links", invoices.EstimateLinksView.as_view(), name="api-invoices-estimate-links"),
    path("invoices/unbilled/lineitems", lineitems.UnbilledLineItemsView.as_view(), name="api-invoices-unbilled-lineitems"),
    path("invoices/<str:invoice_id>", invoices.InvoiceDetailView.as_view(), name="api-invoice"),
    path("invoices/<str:invoice_id>/lineitems", lineitems.InvoiceLineItemsView.as_view(), name="api-invoice-lineitems"),
    path("invoices/<str:invoice_id>/lineitems/<str:provider>/<str:kind>", lineitems.InvoiceLineItemsPathView.as_view(),
         name="api-invoice-lineitems-path"),
]
