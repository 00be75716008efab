"""/v1/ route of the invoice statement (included by partnercenter.api_urls before rating's invoices/ routes)."""

from django.urls import path

from . import documents

urlpatterns = [
    path("invoices/<str:invoice_id>/documents/statement", documents.InvoiceStatementView.as_view(),
         name="api-invoice-statement"),
]
