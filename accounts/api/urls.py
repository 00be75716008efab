from django.urls import path

from . import views

urlpatterns = [
    path("profiles/organization", views.OrganizationProfileView.as_view(), name="api-organization-profile"),
    path("users", views.UserListView.as_view(), name="api-users"),
    path("users/<str:user_id>", views.UserDetailView.as_view(), name="api-user"),
    path("apitokens", views.CredentialListView.as_view(), name="api-credentials"),
    path("apitokens/<str:credential_id>", views.CredentialDetailView.as_view(), name="api-credential"),
    path("apitokens/<str:credential_id>/revoke", views.CredentialRevokeView.as_view(), name="api-credential-revoke"),
    path("auditrecords", views.AuditRecordListView.as_view(), name="api-audit-records"),
    path("jobs/<str:job_id>", views.JobDetailView.as_view(), name="api-job"),
]
