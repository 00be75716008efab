"""The invoicing pages of the Billing workspace (included from billing/urls.py under the `billing` namespace)."""

from django.urls import path

from . import views, views_payments

urlpatterns = [
    path("billing/invoices/", views.invoices, name="invoices"),
    path("billing/invoices/<uuid:public_id>/", views.invoice_detail, name="invoice_detail"),
    path("billing/invoices/<uuid:public_id>/credit-note/", views.invoice_credit_note, name="invoice_credit_note"),
    path("billing/payments/", views_payments.payments, name="payments"),
    path("billing/payments/new/", views_payments.payment_new, name="payment_new"),
    path("billing/credit/", views_payments.credit, name="credit"),
    path("billing/credit/limit/", views_payments.credit_limit, name="credit_limit"),
    path("billing/unbilled/", views_payments.unbilled, name="unbilled"),
]
