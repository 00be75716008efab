from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI sets inline styles: its page alone allows them (scripts stay 'self' only).
    path("api/docs/", csp_override({
        "default-src": [CSP.SELF], "script-src": [CSP.SELF], "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        "img-src": [CSP.SELF, "data:"], "connect-src": [CSP.SELF], "frame-ancestors": [CSP.NONE],
        "object-src": [CSP.NONE], "base-uri": [CSP.SELF],
    })(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("v1/", include("partnercenter.api_urls")),
    path("v1.0/", include("billing.pricing.api.partner_urls")),  # Partner Center's pricing host (price sheets, FX)
    path("", include("customers.urls")),
    path("", include("agreements.urls")),
    path("", include("azureplan.urls")),
    path("", include("billing.urls")),
    path("", include("accounts.urls")),
]

handler404 = "core.views.page_not_found"
handler403 = "core.views.permission_denied"
handler500 = "core.views.server_error"
