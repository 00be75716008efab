from accounts.permissions import Perm, require

from .choices import AgreementType
from .models import Agreement, AgreementTemplate


def template_list(*, agreement_type=None):
    """`agreement_type` None: Partner Center's default (MicrosoftCloudAgreement); "*": all types."""
    qs = AgreementTemplate.objects.all()
    if agreement_type == "*":
        return qs
    return qs.filter(agreement_type=agreement_type or AgreementType.MICROSOFT_CLOUD_AGREEMENT)


def mca_template_current():
    """The current Microsoft Customer Agreement template: versionRank 0 is the latest (api.md §7)."""
    return AgreementTemplate.objects.filter(agreement_type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT).order_by(
        "version_rank").first()


def agreement_list(*, actor, customer, agreement_type=None):
    require(actor, Perm.VIEW_CUSTOMERS)
    qs = Agreement.objects.for_actor(actor).filter(customer=customer).select_related("template", "attested_by")
    if agreement_type and agreement_type != "*":
        qs = qs.filter(agreement_type=agreement_type)
    return qs


def mca_confirmed_ids(customer_ids) -> set:
    """Which of these customers have a confirmed Microsoft Customer Agreement (for a list page; the
    per-customer rule is agreements.services.mca_confirmed)."""
    return set(Agreement.objects.filter(customer_id__in=list(customer_ids),
                                        agreement_type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT)
               .values_list("customer_id", flat=True).distinct())
