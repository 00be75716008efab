from django.urls import path

from . import views

SKU = "products/<str:product_id>/skus/<str:sku_id>"
CUSTOMER = "customers/<str:customer_id>/"

urlpatterns = [
    path("products", views.ProductListView.as_view(), name="api-products"),
    path("products/<str:product_id>", views.ProductDetailView.as_view(), name="api-product"),
    path("products/<str:product_id>/skus", views.SkuListView.as_view(), name="api-product-skus"),
    path(SKU, views.SkuDetailView.as_view(), name="api-product-sku"),
    path(f"{SKU}/availabilities", views.AvailabilityListView.as_view(), name="api-product-sku-availabilities"),
    path(f"{SKU}/availabilities/<str:availability_id>", views.AvailabilityDetailView.as_view(),
         name="api-product-sku-availability"),
    # Customer-scoped: the country is the customer's.
    path(f"{CUSTOMER}products", views.CustomerProductListView.as_view(), name="api-customer-products"),
    path(f"{CUSTOMER}products/<str:product_id>", views.CustomerProductDetailView.as_view(),
         name="api-customer-product"),
    path(f"{CUSTOMER}products/<str:product_id>/skus", views.CustomerSkuListView.as_view(),
         name="api-customer-product-skus"),
    path(f"{CUSTOMER}{SKU}", views.CustomerSkuDetailView.as_view(), name="api-customer-product-sku"),
    path(f"{CUSTOMER}{SKU}/availabilities", views.CustomerAvailabilityListView.as_view(),
         name="api-customer-product-sku-availabilities"),
    path(f"{CUSTOMER}{SKU}/availabilities/<str:availability_id>", views.CustomerAvailabilityDetailView.as_view(),
         name="api-customer-product-sku-availability"),
]
