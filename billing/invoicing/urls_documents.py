"""The Billing workspace's invoice document downloads (included by billing.urls; app namespace "billing")."""

from django.urls import path

from . import document_views as views

urlpatterns = [
    path("billing/invoices/<uuid:public_id>/invoice.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("billing/invoices/<uuid:public_id>/recon.csv", views.invoice_recon, name="invoice_recon"),
    path("billing/invoices/<uuid:public_id>/daily-usage.csv", views.invoice_daily_usage,
         name="invoice_daily_usage"),
]
