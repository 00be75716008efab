"""/v1/pricing/... : the pricing extensions (included by partnercenter.api_urls)."""

from django.urls import path

from . import views

urlpatterns = [
    path("pricing/pricelists", views.PriceListListView.as_view(), name="api-pricelists"),
    path("pricing/pricelists/<str:market>/<str:view>/diff", views.PriceListDiffView.as_view(), name="api-pricelist-diff"),
    path("pricing/pricelists/<str:market>/<str:view>/meters/<str:product_id>/<str:sku_id>/history",
         views.MeterHistoryView.as_view(), name="api-meter-history"),
    path("pricing/pricelists/<str:market>/<str:view>/<str:month>/meters", views.MeterSearchView.as_view(),
         name="api-meters"),
    path("pricing/pricelists/<str:market>/<str:view>/<str:month>/meters/<str:product_id>/<str:sku_id>",
         views.MeterTiersView.as_view(), name="api-meter-tiers"),
    path("pricing/imports", views.PriceSheetImportView.as_view(), name="api-pricing-imports"),
    path("pricing/imports/<str:import_id>", views.ImportDetailView.as_view(), name="api-pricing-import"),
    path("pricing/fxrates", views.FxRateListView.as_view(), name="api-fxrates"),
    path("pricing/fxrates/imports", views.FxRatesImportView.as_view(), name="api-fxrates-import"),
]
