from django.urls import path

from . import views

app_name = "agreements"

urlpatterns = [
    path("customers/<uuid:tenant_id>/agreements/", views.customer_attest, name="customer_attest"),
]
