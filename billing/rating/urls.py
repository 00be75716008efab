"""The Spend pages (Billing workspace), included from billing/urls.py under the `billing` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("spend/", views.partner_spend, name="spend"),
    path("spend/<uuid:tenant_id>/", views.customer_spend, name="spend_customer"),
    path("spend/<uuid:tenant_id>/budget/", views.customer_budget, name="spend_budget"),
]
