"""/v1.0/sales/... : Partner Center's pricing host routes (api reference §18), included by partnercenter.urls. A script
written for Microsoft's pricing API downloads from here by changing only the host."""

from django.urls import path, re_path

from core.api.views import ApiNotFoundView

from . import views

urlpatterns = [
    path("sales/pricesheets(Market='<str:market>',PricesheetView='<str:view>')/$value", views.PriceSheetFileView.as_view(),
         name="pc-pricesheet"),
    path("sales/fxrates(Month='<str:month>')/$value", views.FxRatesFileView.as_view(), name="pc-fxrates"),
    # Any other /v1.0/ path: Partner Center's 404 envelope after authentication, as under /v1/.
    re_path(r"^.*$", ApiNotFoundView.as_view()),
]
