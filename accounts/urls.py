"""The accounts pages, in the `accounts` namespace: sign-in and MFA under /accounts/ (auth_urls), the dashboard and
the settings pages at the top."""

from django.urls import include, path

from . import auth_urls
from .views import portal

app_name = "accounts"

urlpatterns = [
    path("accounts/", include(auth_urls.urlpatterns)),
    path("", portal.dashboard, name="dashboard"),
    path("workspaces/<str:key>/", portal.workspace, name="workspace"),
    path("settings/", portal.settings_home, name="settings_home"),
    path("settings/account/", portal.settings_account, name="settings_account"),
    path("settings/language/", portal.set_language, name="set_language"),
    path("settings/security/", portal.settings_security, name="settings_security"),
    path("settings/security/recovery-codes/", portal.regenerate_recovery_codes, name="regenerate_recovery_codes"),
    path("settings/tokens/", portal.settings_tokens, name="settings_tokens"),
    path("settings/tokens/<uuid:public_id>/revoke/", portal.revoke_token, name="revoke_token"),
    path("settings/users/", portal.settings_users, name="settings_users"),
    path("settings/users/invite/", portal.user_invite, name="user_invite"),
    path("settings/users/<uuid:public_id>/", portal.user_detail, name="user_detail"),
    path("settings/users/<uuid:public_id>/active/", portal.user_set_active, name="user_set_active"),
    path("settings/users/<uuid:public_id>/reset-mfa/", portal.user_reset_mfa, name="user_reset_mfa"),
    path("settings/users/<uuid:public_id>/resend/", portal.user_resend_invitation, name="user_resend_invitation"),
    path("settings/organisation/", portal.settings_organisation, name="settings_organisation"),
    path("settings/audit/", portal.settings_audit, name="settings_audit"),
    path("jobs/<uuid:public_id>/", portal.job_detail, name="job_detail"),
]
