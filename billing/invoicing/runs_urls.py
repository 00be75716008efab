"""The billing runs pages (included by billing/urls.py under the Billing workspace)."""

from django.urls import path

from . import runs_views

urlpatterns = [
    path("billing/runs/", runs_views.run_list, name="runs"),
    path("billing/runs/<uuid:public_id>/", runs_views.run_detail, name="run_detail"),
    path("billing/runs/<uuid:public_id>/resume/", runs_views.run_resume, name="run_resume"),
]
