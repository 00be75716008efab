"""Every /v1/ route, one include per app (later apps add theirs here)."""

from django.urls import include, path, re_path

from core.api.views import ApiNotFoundView

urlpatterns = [
    path("", include("accounts.api.urls")),
    # Before rating: invoices/{id}/documents/statement is more specific than rating's invoices/unbilled/...
    path("", include("billing.invoicing.api.urls_documents")),
    # Before customers and azureplan: its literal segments (customers/usagerecords,
    # customers/{id}/subscriptions/usagerecords) would otherwise be read as a customer id or an Azure plan id.
    # Payments, credit notes and the credit limit (extensions): before rating's unbilled invoice routes.
    path("", include("billing.invoicing.api.urls_payments")),
    # Before billing.rating: /invoices/unbilled/lineitems answers billinglineitems there and hands the rest to rating.
    path("", include("billing.invoicing.api.urls")),
    path("", include("billing.rating.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("agreements.api.urls")),
    path("", include("azureplan.api.urls")),
    path("", include("billing.pricing.api.urls")),
    path("", include("billing.usage.api.urls")),
    path("", include("billing.invoicing.runs_api_urls")),
    # Last: any other /v1/ path answers Partner Center's 404 envelope (also under DEBUG), after authentication
    # (401 first), for every method and without Django's CSRF page (a DRF view: session writes keep CSRF).
    re_path(r"^.*$", ApiNotFoundView.as_view()),
]
