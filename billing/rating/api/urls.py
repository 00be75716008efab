"""/v1/ routes of Azure spending and the unbilled daily rated usage (included by partnercenter.api_urls before the
customers' and the Azure plan's routes: `customers/usagerecords` is not a customer id, and
`customers/{id}/subscriptions/usagerecords` is not an Azure plan id)."""

from django.urls import path

from . import views

CUSTOMER = "customers/<str:customer_id>/"
PLAN = f"{CUSTOMER}subscriptions/<str:plan_id>/"

urlpatterns = [
    path("invoices/unbilled/lineitems", views.UnbilledLineItemsView.as_view(), name="api-unbilled-lineitems"),
    path("invoices/unbilled/lineitems.csv", views.UnbilledLineItemsCsvView.as_view(),
         name="api-unbilled-lineitems-csv"),
    path("usagesummary", views.PartnerUsageSummaryView.as_view(), name="api-usagesummary"),
    path("customers/usagerecords", views.CustomerUsageRecordsView.as_view(), name="api-customers-usagerecords"),
    path(f"{CUSTOMER}usagesummary", views.CustomerUsageSummaryView.as_view(), name="api-customer-usagesummary"),
    path(f"{CUSTOMER}usagebudget", views.CustomerBudgetView.as_view(), name="api-customer-usagebudget"),
    path(f"{CUSTOMER}subscriptions/usagerecords", views.PlanUsageRecordsView.as_view(),
         name="api-customer-subscriptions-usagerecords"),
    path(f"{PLAN}usagesummary", views.PlanUsageSummaryView.as_view(), name="api-customer-subscription-usagesummary"),
    path(f"{PLAN}meterusagerecords", views.MeterUsageRecordsView.as_view(),
         name="api-customer-subscription-meterusagerecords"),
    path(f"{PLAN}resourceusagerecords", views.ResourceUsageRecordsView.as_view(),
         name="api-customer-subscription-resourceusagerecords"),
]
