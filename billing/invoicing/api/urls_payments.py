"""/v1/ payments, credit notes and the credit limit: this portal's extensions (included by partnercenter.api_urls
before billing.rating's routes)."""

from django.urls import path

from . import payments

urlpatterns = [
    path("payments", payments.PaymentListView.as_view(), name="api-payments"),
    path("payments/<str:payment_id>", payments.PaymentDetailView.as_view(), name="api-payment"),
    path("invoices/<str:invoice_id>/creditnotes", payments.CreditNoteView.as_view(), name="api-invoice-creditnotes"),
    path("creditlimit", payments.CreditLimitView.as_view(), name="api-creditlimit"),
]
