from django.urls import path

from . import views

urlpatterns = [
    path("agreements", views.AgreementTemplateListView.as_view(), name="api-agreements"),
    path("agreementtemplates/<str:template_id>/document", views.AgreementTemplateDocumentView.as_view(),
         name="api-agreement-template-document"),
    path("customers/<str:customer_id>/agreements", views.CustomerAgreementListView.as_view(),
         name="api-customer-agreements"),
    path("customers/<str:customer_id>/directSignedMicrosoftCustomerAgreementStatus",
         views.DirectSignedStatusView.as_view(), name="api-customer-direct-signed-mca-status"),
]
