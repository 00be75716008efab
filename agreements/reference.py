"""Partner Center's published agreement metadata (Microsoft's "get customer agreement metadata" response examples)."""

import uuid

TEMPLATES = [
    ("117a77b0-9360-443b-8795-c6dedc750cf9", "MicrosoftCustomerAgreement", "https://aka.ms/customeragreement", 0),
    ("998b88de-aa99-4388-a42c-1b3517d49490", "MicrosoftCloudAgreement",
     "https://learn.microsoft.com/partner-center/agreements", 0),
]


def load_templates(AgreementTemplate):
    for template_id, kind, link, rank in TEMPLATES:
        AgreementTemplate.objects.update_or_create(
            template_id=uuid.UUID(template_id),
            defaults={"agreement_type": kind, "agreement_link": link, "version_rank": rank})
