"""The portal pages of billing (the Pricing workspace, the Billing workspace's Spend pages from billing.rating; billing's
/v1/ routes are in its api packages)."""

from django.urls import include, path, re_path

from .pricing import views as pricing_views
from .usage import views as usage_views

app_name = "billing"

urlpatterns = [
    path("pricing/", pricing_views.price_list, name="pricing"),
    re_path(r"^pricing/meters/(?P<product_id>[^/]{1,64})/(?P<sku_id>[^/]{1,64})/$", pricing_views.meter_detail,
            name="pricing_meter"),
    path("pricing/compare/", pricing_views.compare, name="pricing_compare"),
    path("pricing/downloads/", pricing_views.downloads, name="pricing_downloads"),
    re_path(r"^pricing/downloads/(?P<market>[A-Za-z]{2})/(?P<view>[a-z_]{1,32})/(?P<month>[0-9]{6})\.csv$",
            pricing_views.download_sheet, name="pricing_download"),
    re_path(r"^pricing/exchange-rates/(?P<month>[0-9]{6})\.csv$", pricing_views.download_fx,
            name="pricing_fx_download"),
    path("pricing/exchange-rates/", pricing_views.exchange_rates, name="pricing_fx"),
    path("pricing/imports/", pricing_views.imports, name="pricing_imports"),
    path("pricing/imports/price-sheet/", pricing_views.import_price_sheet, name="pricing_import"),
    path("pricing/imports/exchange-rates/", pricing_views.import_fx_rates, name="pricing_fx_import"),
    path("pricing/imports/<uuid:public_id>/", pricing_views.import_detail, name="pricing_import_detail"),
    path("", include("billing.rating.urls")),
    path("", include("billing.invoicing.urls_pages")),
    path("", include("billing.invoicing.urls_documents")),
    # The Billing workspace: usage
    path("billing/usage/imports/", usage_views.usage_import, name="usage-import"),
    path("billing/usage/imports/<uuid:public_id>/", usage_views.usage_import_detail, name="usage-import-detail"),
    path("billing/usage/unmatched/", usage_views.usage_unmatched, name="usage-unmatched"),
    path("", include("billing.invoicing.runs_urls")),  # billing runs
]
