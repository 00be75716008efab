from django.urls import path

from . import legacy_views, views

SKU = "products/<str:product_id>/skus/<str:sku_id>"
CUSTOMER = "customers/<str:customer_id>/"
CART = f"{CUSTOMER}carts/<str:cart_id>"
ORDER = f"{CUSTOMER}orders/<str:order_id>"
PLAN = f"{CUSTOMER}subscriptions/<str:subscription_id>"
ENTITLEMENT = f"{PLAN}/azureEntitlements/<str:entitlement_id>"

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
    # Ordering: carts, checkout, orders.
    path(f"{CUSTOMER}carts", views.CartCreateView.as_view(), name="api-customer-carts"),
    path(CART, views.CartDetailView.as_view(), name="api-customer-cart"),
    path(f"{CART}/checkout", views.CartCheckoutView.as_view(), name="api-customer-cart-checkout"),
    path(f"{CUSTOMER}orders", views.OrderListView.as_view(), name="api-customer-orders"),
    path(ORDER, views.OrderDetailView.as_view(), name="api-customer-order"),
    path(f"{ORDER}/provisioningstatus", views.OrderProvisioningStatusView.as_view(),
         name="api-customer-order-provisioning-status"),
    # The Azure plan (a Partner Center subscription) and its Azure subscriptions (Azure entitlements).
    path(f"{CUSTOMER}subscriptions", views.SubscriptionListView.as_view(), name="api-customer-subscriptions"),
    path(PLAN, views.SubscriptionDetailView.as_view(), name="api-customer-subscription"),
    path(f"{PLAN}/cancel", views.SubscriptionCancelView.as_view(), name="api-customer-subscription-cancel"),
    path(f"{PLAN}/azureEntitlements", views.AzureEntitlementListView.as_view(), name="api-customer-azure-entitlements"),
    path(ENTITLEMENT, views.AzureEntitlementDetailView.as_view(), name="api-customer-azure-entitlement"),
    path(f"{ENTITLEMENT}/cancel", views.AzureEntitlementCancelView.as_view(),
         name="api-customer-azure-entitlement-cancel"),
    path(f"{ENTITLEMENT}/reactivate", views.AzureEntitlementReactivateView.as_view(),
         name="api-customer-azure-entitlement-reactivate"),
    path(f"{ENTITLEMENT}/roleAssignments", views.RoleAssignmentListView.as_view(),
         name="api-customer-azure-entitlement-role-assignments"),
    path(f"{ENTITLEMENT}/roleAssignments/<str:assignment_id>/remove", views.RoleAssignmentRemoveView.as_view(),
         name="api-customer-azure-entitlement-role-assignment-remove"),
    path("azureRoles", views.AzureRoleListView.as_view(), name="api-azure-roles"),
    # Transition from the legacy Azure offer (Partner Center's product upgrades) and its extensions.
    path("productUpgrades", legacy_views.ProductUpgradeCreateView.as_view(), name="api-product-upgrades"),
    path("productUpgrades/eligibility", legacy_views.ProductUpgradeEligibilityView.as_view(),
         name="api-product-upgrade-eligibility"),
    path("productUpgrades/batches", legacy_views.BatchListView.as_view(), name="api-product-upgrade-batches"),
    path("productUpgrades/batches/<str:batch_id>", legacy_views.BatchDetailView.as_view(),
         name="api-product-upgrade-batch"),
    path("productUpgrades/batches/<str:batch_id>/cancel", legacy_views.BatchCancelView.as_view(),
         name="api-product-upgrade-batch-cancel"),
    path("productUpgrades/<str:upgrade_id>", legacy_views.ProductUpgradeDetailView.as_view(), name="api-product-upgrade"),
    path("productUpgrades/<str:upgrade_id>/status", legacy_views.ProductUpgradeStatusView.as_view(),
         name="api-product-upgrade-status"),
    path("productUpgrades/<str:upgrade_id>/retry", legacy_views.ProductUpgradeRetryView.as_view(),
         name="api-product-upgrade-retry"),
    path("legacySubscriptions/imports", legacy_views.LegacyImportView.as_view(), name="api-legacy-imports"),
]
