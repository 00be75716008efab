"""Every /v1/ route, one include per app (later apps add theirs here)."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
]
