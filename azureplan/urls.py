from django.urls import path

from .catalog import views as catalog_views
from .legacy import views as legacy_views
from .ordering import views as ordering_views
from .plans import views as plan_views

app_name = "azureplan"

urlpatterns = [
    path("azure-plan/", catalog_views.catalog, name="catalog"),
    path("azure-plan/availability/", catalog_views.catalog_availability, name="catalog_availability"),
    path("azure-plan/compare/", catalog_views.catalog_compare, name="catalog_compare"),
    # Ordering (by customer): cart, checkout, orders.
    path("customers/<uuid:tenant_id>/azure-plan/cart/", ordering_views.azure_plan_cart, name="azure_plan_cart"),
    path("customers/<uuid:tenant_id>/carts/<uuid:public_id>/", ordering_views.cart_detail, name="cart_detail"),
    path("customers/<uuid:tenant_id>/carts/<uuid:public_id>/checkout/", ordering_views.cart_checkout,
         name="cart_checkout"),
    path("customers/<uuid:tenant_id>/orders/", ordering_views.order_list, name="order_list"),
    path("customers/<uuid:tenant_id>/orders/<uuid:public_id>/", ordering_views.order_detail, name="order_detail"),
    # The Azure plan (a customer's Partner Center subscription) and its Azure subscriptions.
    path("customers/azure-plans/<uuid:public_id>/", plan_views.azure_plan_action, name="azure_plan_action"),
    path("customers/azure-plans/<uuid:public_id>/azure-subscriptions/", plan_views.azure_subscription_create,
         name="azure_subscription_create"),
    path("customers/azure-plans/<uuid:public_id>/azure-subscriptions/cancel/",
         plan_views.azure_subscriptions_cancel, name="azure_subscriptions_cancel"),
    path("customers/azure-subscriptions/<uuid:subscription_id>/", plan_views.azure_subscription_detail,
         name="azure_subscription_detail"),
    path("customers/azure-subscriptions/<uuid:subscription_id>/rename/", plan_views.azure_subscription_rename,
         name="azure_subscription_rename"),
    path("customers/azure-subscriptions/<uuid:subscription_id>/reactivate/",
         plan_views.azure_subscription_reactivate, name="azure_subscription_reactivate"),
    path("customers/azure-subscriptions/<uuid:subscription_id>/role-assignments/", plan_views.role_assignment_add,
         name="role_assignment_add"),
    path("customers/role-assignments/<uuid:public_id>/remove/", plan_views.role_assignment_remove,
         name="role_assignment_remove"),
    # Legacy Azure (MS-AZR-0145P) and its transition to the Azure plan.
    path("azure-plan/legacy/", legacy_views.legacy_workspace, name="legacy_workspace"),
    path("azure-plan/legacy/batches/", legacy_views.legacy_batch_start, name="legacy_batch_start"),
    path("azure-plan/legacy/batches/<uuid:public_id>/", legacy_views.legacy_batch_detail, name="legacy_batch_detail"),
    path("azure-plan/legacy/batches/<uuid:public_id>/cancel/", legacy_views.legacy_batch_cancel,
         name="legacy_batch_cancel"),
    path("azure-plan/legacy/import/", legacy_views.legacy_import_page, name="legacy_import"),
    path("azure-plan/legacy/import/template.csv", legacy_views.legacy_import_template, name="legacy_import_template"),
    path("customers/<uuid:tenant_id>/legacy-azure/", legacy_views.customer_legacy_section,
         name="customer_legacy_section"),
    path("customers/<uuid:tenant_id>/legacy-azure/transition/", legacy_views.customer_legacy_start,
         name="customer_legacy_start"),
    path("customers/<uuid:tenant_id>/legacy-azure/upgrades/<uuid:upgrade_id>/retry/",
         legacy_views.customer_legacy_retry, name="customer_legacy_retry"),
    path("customers/legacy-subscriptions/<uuid:public_id>/rename/", legacy_views.legacy_subscription_rename,
         name="legacy_subscription_rename"),
]
