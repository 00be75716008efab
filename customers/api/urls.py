from django.urls import path

from . import views

urlpatterns = [
    path("customers", views.CustomerListView.as_view(), name="api-customers"),
    # Before customers/<customer_id>: "relationshiprequests" is not a customer id.
    path("customers/relationshiprequests", views.RelationshipRequestView.as_view(),
         name="api-customer-relationship-requests"),
    path("customers/<str:customer_id>", views.CustomerDetailView.as_view(), name="api-customer"),
    path("customers/<str:customer_id>/profiles/company", views.CustomerCompanyProfileView.as_view(),
         name="api-customer-company-profile"),
    path("customers/<str:customer_id>/profiles/billing", views.CustomerBillingProfileView.as_view(),
         name="api-customer-billing-profile"),
    path("domains/<str:domain>", views.DomainView.as_view(), name="api-domain"),
    path("validations/address", views.AddressValidationView.as_view(), name="api-validations-address"),
]
