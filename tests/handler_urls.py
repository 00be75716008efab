"""A URLconf for tests/test_portal_handler.py: the same /v1/customers path, another route name."""

from django.urls import path

from core.views import healthz

urlpatterns = [path("v1/customers", healthz, name="other-customers")]
