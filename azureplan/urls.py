from django.urls import path

from . import views

urlpatterns = [
    path("azure-plan/", views.catalog, name="catalog"),
    path("azure-plan/availability/", views.catalog_availability, name="catalog_availability"),
    path("azure-plan/compare/", views.catalog_compare, name="catalog_compare"),
]
