"""Every /v1/ route, one include per app (later apps add theirs here)."""

from django.urls import include, path, re_path

from core.views import api_not_found

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("agreements.api.urls")),
    path("", include("azureplan.api.urls")),
    # Last: any other /v1/ path answers Partner Center's 404 envelope (also under DEBUG).
    re_path(r"^.*$", api_not_found),
]
