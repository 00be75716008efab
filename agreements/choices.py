from django.db import models
from django.utils.translation import gettext_lazy as _


class AgreementType(models.TextChoices):
    MICROSOFT_CUSTOMER_AGREEMENT = "MicrosoftCustomerAgreement", _("Microsoft Customer Agreement")
    MICROSOFT_CLOUD_AGREEMENT = "MicrosoftCloudAgreement", _("Microsoft Cloud Agreement")


class AgreementSource(models.TextChoices):
    PARTNER_ATTESTATION = "partner_attestation", _("Attested by the partner")
    CUSTOMER_ACCEPTANCE = "customer_acceptance", _("Accepted by the customer")
