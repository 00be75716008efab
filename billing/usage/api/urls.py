"""/v1/usage/... : the usage extensions (included by partnercenter.api_urls)."""

from django.urls import path

from . import views

urlpatterns = [
    path("usage/imports", views.UsageImportListView.as_view(), name="api-usage-imports"),
    path("usage/imports/<str:import_id>", views.UsageImportDetailView.as_view(), name="api-usage-import"),
    path("usage/unmatched", views.UnmatchedUsageListView.as_view(), name="api-usage-unmatched"),
]
