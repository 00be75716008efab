from django.urls import path

from ..catalog.api import views as catalog
from ..legacy.api import subscriptions
from ..legacy.api import views as legacy
from ..ordering.api import views as ordering
from ..plans.api import views as plans

SKU = "products/<str:product_id>/skus/<str:sku_id>"
CUSTOMER = "customers/<str:customer_id>/"
CART = f"{CUSTOMER}carts/<str:cart_id>"
ORDER = f"{CUSTOMER}orders/<str:order_id>"
PLAN = f"{CUSTOMER}subscriptions/<str:subscription_id>"
ENTITLEMENT = f"{PLAN}/azureEntitlements/<str:entitlement_id>"

urlpatterns = [
    path("products", catalog.ProductListView.as_view(), name="api-products"),
    path("products/<str:product_id>", catalog.ProductDetailView.as_view(), name="api-product"),
    path("products/<str:product_id>/skus", catalog.SkuListView.as_view(), name="api-product-skus"),
    path(SKU, catalog.SkuDetailView.as_view(), name="api-product-sku"),
    path(f"{SKU}/availabilities", catalog.AvailabilityListView.as_view(), name="api-product-sku-availabilities"),
    path(f"{SKU}/availabilities/<str:availability_id>", catalog.AvailabilityDetailView.as_view(),
         name="api-product-sku-availability"),
    # Customer-scoped: the country is the customer's.
    path(f"{CUSTOMER}products", catalog.CustomerProductListView.as_view(), name="api-customer-products"),
    path(f"{CUSTOMER}products/<str:product_id>", catalog.CustomerProductDetailView.as_view(),
         name="api-customer-product"),
    path(f"{CUSTOMER}products/<str:product_id>/skus", catalog.CustomerSkuListView.as_view(),
         name="api-customer-product-skus"),
    path(f"{CUSTOMER}{SKU}", catalog.CustomerSkuDetailView.as_view(), name="api-customer-product-sku"),
    path(f"{CUSTOMER}{SKU}/availabilities", catalog.CustomerAvailabilityListView.as_view(),
         name="api-customer-product-sku-availabilities"),
    path(f"{CUSTOMER}{SKU}/availabilities/<str:availability_id>", catalog.CustomerAvailabilityDetailView.as_view(),
         name="api-customer-product-sku-availability"),
    # Ordering: carts, checkout, orders.
    path(f"{CUSTOMER}carts", ordering.CartCreateView.as_view(), name="api-customer-carts"),
    path(CART, ordering.CartDetailView.as_view(), name="api-customer-cart"),
    path(f"{CART}/checkout", ordering.CartCheckoutView.as_view(), name="api-customer-cart-checkout"),
    path(f"{CUSTOMER}orders", ordering.OrderListView.as_view(), name="api-customer-orders"),
    path(ORDER, ordering.OrderDetailView.as_view(), name="api-customer-order"),
    path(f"{ORDER}/provisioningstatus", ordering.OrderProvisioningStatusView.as_view(),
         name="api-customer-order-provisioning-status"),
    # The Azure plan (a Partner Center subscription) and its Azure subscriptions (Azure entitlements).
    path(f"{CUSTOMER}subscriptions", subscriptions.SubscriptionListView.as_view(), name="api-customer-subscriptions"),
    path(PLAN, subscriptions.SubscriptionDetailView.as_view(), name="api-customer-subscription"),
    path(f"{PLAN}/provisioningstatus", subscriptions.SubscriptionProvisioningStatusView.as_view(),
         name="api-customer-subscription-provisioning-status"),
    path(f"{PLAN}/cancel", plans.SubscriptionCancelView.as_view(), name="api-customer-subscription-cancel"),
    path(f"{PLAN}/azureEntitlements", plans.AzureEntitlementListView.as_view(), name="api-customer-azure-entitlements"),
    path(ENTITLEMENT, plans.AzureEntitlementDetailView.as_view(), name="api-customer-azure-entitlement"),
    path(f"{ENTITLEMENT}/cancel", plans.AzureEntitlementCancelView.as_view(),
         name="api-customer-azure-entitlement-cancel"),
    path(f"{ENTITLEMENT}/reactivate", plans.AzureEntitlementReactivateView.as_view(),
         name="api-customer-azure-entitlement-reactivate"),
    path(f"{ENTITLEMENT}/roleAssignments", plans.RoleAssignmentListView.as_view(),
         name="api-customer-azure-entitlement-role-assignments"),
    path(f"{ENTITLEMENT}/roleAssignments/<str:assignment_id>/remove", plans.RoleAssignmentRemoveView.as_view(),
         name="api-customer-azure-entitlement-role-assignment-remove"),
    path("azureRoles", catalog.AzureRoleListView.as_view(), name="api-azure-roles"),
    # Transition from the legacy Azure offer (Partner Center's product upgrades) and its extensions.
    path("productUpgrades", legacy.ProductUpgradeCreateView.as_view(), name="api-product-upgrades"),
    path("productUpgrades/eligibility", legacy.ProductUpgradeEligibilityView.as_view(),
         name="api-product-upgrade-eligibility"),
    path("productUpgrades/batches", legacy.BatchListView.as_view(), name="api-product-upgrade-batches"),
    path("productUpgrades/batches/<str:batch_id>", legacy.BatchDetailView.as_view(),
         name="api-product-upgrade-batch"),
    path("productUpgrades/batches/<str:batch_id>/cancel", legacy.BatchCancelView.as_view(),
         name="api-product-upgrade-batch-cancel"),
    path("productUpgrades/<str:upgrade_id>", legacy.ProductUpgradeDetailView.as_view(), name="api-product-upgrade"),
    path("productUpgrades/<str:upgrade_id>/status", legacy.ProductUpgradeStatusView.as_view(),
         name="api-product-upgrade-status"),
    path("productUpgrades/<str:upgrade_id>/retry", legacy.ProductUpgradeRetryView.as_view(),
         name="api-product-upgrade-retry"),
    path("legacySubscriptions/imports", legacy.LegacyImportView.as_view(), name="api-legacy-imports"),
]
