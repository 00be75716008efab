"""/v1/billingruns: the billing runs extension (included by partnercenter.api_urls)."""

from django.urls import path

from . import runs_api

urlpatterns = [
    path("billingruns", runs_api.BillingRunListView.as_view(), name="api-billing-runs"),
    path("billingruns/<str:run_id>", runs_api.BillingRunDetailView.as_view(), name="api-billing-run"),
]
