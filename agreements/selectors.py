from accounts.permissions import Perm, require

from .choices import AgreementType
from .models import Agreement, AgreementTemplate


def template_list(*, agreement_type=None):
    """`agreement_type` None: Partner Center's default (MicrosoftCloudAgreement); "*": all types."""
    qs = AgreementTemplate.objects.all()
    if agreement_type == "*":
        return qs
    return qs.filter(agreement_type=agreement_type or AgreementType.MICROSOFT_CLOUD_AGREEMENT)


def agreement_list(*, actor, customer, agreement_type=None):
    require(actor, Perm.VIEW_CUSTOMERS)
    qs = Agreement.objects.for_actor(actor).filter(customer=customer).select_related("template", "attested_by")
    if agreement_type and agreement_type != "*":
        qs = qs.filter(agreement_type=agreement_type)
    return qs
