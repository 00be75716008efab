import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlsafe_base64_encode

from .models import User

logger = logging.getLogger(__name__)


def invitation_url(user) -> str:
    uid = urlsafe_base64_encode(str(user.pk).encode())
    token = default_token_generator.make_token(user)
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("accounts:invitation", args=[uid, token])


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(user_id: int) -> bool:
    """E-mail an invited user their sign-up link, in their language. Safe to run twice: the link
    stays valid until the user sets a password, and an accepted invitation sends nothing."""
    user = User.objects.select_related("organisation", "invited_by").filter(pk=user_id).first()
    if user is None or not user.is_active or user.activated_at is not None:
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {"user": user, "url": invitation_url(user), "organisation": user.organisation,
                   "hours": settings.INVITATION_MAX_AGE_HOURS}
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    if settings.MAILERS["default"]["BACKEND"].endswith("console.EmailBackend"):
        # `make run` prints e-mails quoted-printable; show the link unbroken for the person trying the demo.
        logger.info("Invitation link for %s: %s", user.email, context["url"])
    return True
