import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .models import Agreement

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_attestation_notice(agreement_id: int) -> bool:
    """Tell the customer's contact that their partner confirmed their acceptance of the agreement
    (Microsoft does so within 30 minutes of an attestation). Running twice sends twice at worst."""
    agreement = Agreement.objects.select_related("customer", "organisation", "template").filter(
        pk=agreement_id).first()
    if agreement is None:
        return False
    language = agreement.customer.language if agreement.customer.language in dict(settings.LANGUAGES) else "en"
    with translation.override(language):
        context = {"agreement": agreement, "customer": agreement.customer, "partner": agreement.organisation}
        subject = render_to_string("agreements/email/attestation_subject.txt", context).strip()
        body = render_to_string("agreements/email/attestation_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [agreement.email])
    return True
