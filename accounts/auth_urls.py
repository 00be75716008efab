"""Sign-in, MFA and the invitation to join a partner: included by accounts.urls under /accounts/ (namespace
`accounts`)."""

from django.urls import path

from .views import auth

urlpatterns = [
    path("login/", auth.sign_in, name="login"),
    path("logout/", auth.sign_out, name="logout"),
    path("mfa/verify/", auth.mfa_verify, name="mfa_verify"),
    path("mfa/enrol/", auth.mfa_enrol, name="mfa_enrol"),
    path("mfa/recovery-codes/", auth.recovery_codes, name="recovery_codes"),
    path("invitation/<str:uidb64>/<str:token>/", auth.accept_invitation, name="invitation"),
]

