from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/invitations/", views.invitation_list, name="invitation_list"),
    path("customers/invitations/new/", views.invitation_create, name="invitation_create"),
    path("customers/invitations/<uuid:public_id>/withdraw/", views.invitation_revoke, name="invitation_revoke"),
    path("customers/<uuid:tenant_id>/", views.customer_detail, name="customer_detail"),
    path("customers/<uuid:tenant_id>/billing/", views.customer_billing, name="customer_billing"),
    path("customers/<uuid:tenant_id>/reseller/", views.customer_assign_reseller, name="customer_assign_reseller"),
    path("customers/<uuid:tenant_id>/relationship/remove/", views.customer_remove_relationship,
         name="customer_remove_relationship"),
    # Public: the customer's global admin opens it without a partner sign-in (accounts.middleware).
    path("invitations/<str:token>/", views.invitation, name="customer_invitation"),
]
