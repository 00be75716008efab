"""/v1/agreements and /v1/customers/{id}/agreements, shaped like Partner Center's.

Rules (roles, partner type, App+User only, relationship, 600061) live in agreements.services; the
customer is looked up first, so a foreign, unknown or malformed id answers 404 before the body is read.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.idempotency import idempotent
from core.api.pagination import collection
from core.api.schema import IDEMPOTENCY_KEY, REQUEST_ID, collection_schema, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput
from customers.selectors import customer_get

from .. import selectors, services
from ..choices import AgreementType
from .serializers import (
    AgreementCreateSerializer,
    AgreementDocumentSerializer,
    AgreementMetaDataSerializer,
    AgreementSerializer,
    DirectSignedStatusSerializer,
)

TAGS = ["Agreements"]
CUSTOMER_ID = OpenApiParameter("customer_id", str, OpenApiParameter.PATH, description="The customer's tenant id")


def _agreement_type(request, *, field="agreementType"):
    """The `agreementType` query value, matched case-insensitively; None when absent, "*" for all."""
    raw = next((v for k, v in request.query_params.items() if k.lower() == field.lower()), "").strip()
    if not raw:
        return None
    if raw == "*":
        return "*"
    for value in AgreementType.values:
        if value.lower() == raw.lower():
            return value
    raise InvalidInput(_("%(field)s must be one of %(values)s or *.") % {
        "field": field, "values": ", ".join(AgreementType.values)}, field=field)



class AgreementTemplateListView(PCAPIView):
    @pc_schema(ok=collection_schema("AgreementMetaDataCollection", AgreementMetaDataSerializer),
               errors=(400, 401, 429),
               parameters=[OpenApiParameter("agreementType", str, enum=[*AgreementType.values, "*"],
                                            description="Default MicrosoftCloudAgreement (as Partner Center); * for all")],
               summary="Agreement metadata (template ids and links)", tags=TAGS, operation_id="agreements_list")
    def get(self, request):
        templates = selectors.template_list(agreement_type=_agreement_type(request))
        return Response(collection(AgreementMetaDataSerializer(templates, many=True).data, request))


class AgreementTemplateDocumentView(PCAPIView):
    @pc_schema(ok=AgreementDocumentSerializer, errors=(400, 401, 404, 429),
               parameters=[OpenApiParameter("template_id", str, OpenApiParameter.PATH,
                                            description="The templateId of GET /v1/agreements"),
                           OpenApiParameter("language", str, description="Default en-US"),
                           OpenApiParameter("country", str, description="ISO 3166 alpha-2, default US")],
               summary="Where to read and download an agreement template's document",
               description="displayUri and downloadUri are the template's agreementLink (Microsoft's page for the "
                           "agreement). Query names and values in any case. 404: unknown template; 400: malformed "
                           "language, unknown country.",
               tags=TAGS, operation_id="agreementtemplates_document_retrieve")
    def get(self, request, template_id):
        params = {key.lower(): value for key, value in request.query_params.items()}
        return Response(selectors.template_document(template_id=template_id, language=params.get("language"),
                                                    country=params.get("country")))


class CustomerAgreementListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_CUSTOMERS, "POST": Perm.ATTEST_MCA}

    @pc_schema(ok=collection_schema("AgreementCollection", AgreementSerializer), errors=(400, 401, 403, 404, 429),
               parameters=[CUSTOMER_ID, OpenApiParameter("agreementType", str, enum=[*AgreementType.values, "*"],
                                                         description="Default: all types")],
               summary="A customer's agreement confirmations (partner attestations and its own acceptance)",
               tags=TAGS, operation_id="customers_agreements_list")
    def get(self, request, customer_id):
        actor = self.actor(request)
        customer = customer_get(actor=actor, tenant_id=customer_id)
        agreements = selectors.agreement_list(actor=actor, customer=customer,
                                              agreement_type=_agreement_type(request))
        return Response(collection(AgreementSerializer(agreements, many=True).data, request))

    @pc_schema(ok=AgreementSerializer, ok_status=201, request=AgreementCreateSerializer,
               errors=(400, 401, 403, 404, 409, 429), parameters=[CUSTOMER_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Confirm the customer accepted the Microsoft Customer Agreement (App+User only)",
               description="409 600061 PartnerConfirmedAgreementAlreadyExists when the same contact was already "
                           "confirmed; 403 20002 without a reseller relationship; 403 2032 for App only "
                           "credentials, indirect resellers and roles other than Admin agent / Sales agent.",
               tags=TAGS, operation_id="customers_agreements_create")
    @idempotent
    def post(self, request, customer_id):
        actor = self.actor(request)
        customer = customer_get(actor=actor, tenant_id=customer_id)
        data = self.validated(AgreementCreateSerializer, request)
        contact = data["primaryContact"]
        kind = (data.get("type") or "").strip()
        kind = next((v for v in AgreementType.values if v.lower() == kind.lower()), kind) if kind else None
        # The answer is rendered inside the transaction: should it fail, the confirmation is not stored either.
        with transaction.atomic():
            agreement = services.agreement_attest(
                actor=actor, customer=customer, first_name=contact.get("firstName"), last_name=contact.get("lastName"),
                email=contact.get("email"), phone_number=contact.get("phoneNumber"),
                date_agreed=data.get("dateAgreed"), template_id=data.get("templateId"),
                agreement_type=kind or AgreementType.MICROSOFT_CUSTOMER_AGREEMENT,
            )
            body = AgreementSerializer(agreement).data
        return Response(body, status=201)


class DirectSignedStatusView(PCAPIView):
    @pc_schema(ok=DirectSignedStatusSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID],
               summary="Did the customer accept the Microsoft Customer Agreement itself?", tags=TAGS,
               operation_id="customers_direct_signed_mca_status_retrieve")
    def get(self, request, customer_id):
        customer = customer_get(actor=self.actor(request), tenant_id=customer_id)
        return Response({"isSigned": services.direct_signed(customer)})
