"""/v1/productUpgrades (Partner Center's transition from the legacy Azure offer to the Azure plan, api reference
§14) and this portal's extensions: retrying a failed upgrade, legacy subscription imports and transition batches.

Views parse the body in any casing and call azureplan.legacy.services, importer and selectors, where every rule and its
error code lives. A customer is found through customers.selectors.customer_get (foreign, unknown: 404 1000); an
upgrade or batch of another partner answers 404 like an unknown one (900106 for upgrades, 1000 for batches)."""

import uuid

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.idempotency import idempotent
from core.api.pagination import collection
from core.api.parsers import PartnerCenterJSONParser
from core.api.schema import IDEMPOTENCY_KEY, REQUEST_ID, pc_schema
from core.errors import InvalidInput, NotFound
from customers.selectors import customer_get, customer_list

from ...plans.api.views import PlanView as CommerceView
from .. import importer, services
from .. import selectors as legacy_selectors
from .serializers import (
    BatchInputSerializer,
    BatchListItemSerializer,
    BatchSerializer,
    LegacyImportInputSerializer,
    LegacyImportResultSerializer,
    LegacyImportSerializer,
    ProductUpgradeRequestSerializer,
    ProductUpgradeRetrySerializer,
    ProductUpgradesEligibilitySerializer,
    ProductUpgradesStatusSerializer,
    eligibility_data,
    import_result_data,
)

TAGS = ["Product upgrades (legacy Azure)"]
IMPORT_TAGS = ["Legacy subscriptions (extension)"]
UPGRADE_ID = OpenApiParameter("upgrade_id", str, OpenApiParameter.PATH, description="The product upgrade id")
BATCH_ID = OpenApiParameter("batch_id", str, OpenApiParameter.PATH, description="The transition batch id")
MAX_BATCH_CUSTOMERS = 10_000

REQUEST_ERRORS = ("400: 800002 (productFamily other than azure, or customerId missing), 900118 (customerId is not a "
                  "GUID); 404: 1000 (customer unknown or of another partner).")
START_ERRORS = ("403: 900123 (an indirect reseller asking), 900159 (no reseller relationship), 900120 (Microsoft "
                "Customer Agreement not confirmed), 900108 (no active legacy Azure subscription), 2032 (role or "
                "partner type); 409: 900109 (an upgrade is already in progress), 900114 (an upgrade finished with "
                "failed lines: retry it), 990001 (MS-RequestId reused with another body).")


def _guid(value, field):
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(f"{field} {value!s:.60} should have GUID format.", code=900118,
                           error_name="InvalidCustomerId", field=field) from None


def _product_family(data, *, required=True):
    family = data.get("productFamily")
    if family is None and not required:
        return
    if (family or "").strip().lower() != "azure":
        raise InvalidInput("productFamily must be azure (the only product family that can be upgraded).",
                           field="productFamily")


def _customer_id(data):
    raw = data.get("customerId")
    if raw is None or not str(raw).strip():
        raise InvalidInput("customerId is required (the customer's tenant id).", field="customerId")
    return _guid(raw, "customerId")


class LegacyView(CommerceView):
    def upgrade_customer(self, request):
        """The customer of a ProductUpgradeRequest body (productFamily azure)."""
        data = self.validated(ProductUpgradeRequestSerializer, request)
        _product_family(data)
        return customer_get(actor=self.actor(request), tenant_id=_customer_id(data))

    def upgrade(self, request, upgrade_id, customer=None):
        return legacy_selectors.upgrade_get(actor=self.actor(request), upgrade_id=upgrade_id, customer=customer)

    def status_body(self, request, upgrade, status=200):
        upgrade = self.upgrade(request, upgrade.public_id)
        response = Response(ProductUpgradesStatusSerializer(upgrade).data, status=status)
        if status == 202:
            response["Location"] = f"productUpgrades/{upgrade.public_id}/status"
        return response

    def batch_body(self, request, job, status=200):
        actor = self.actor(request)
        job = legacy_selectors.batch_get(actor=actor, public_id=job.public_id)
        failures = {job.pk: legacy_selectors.batch_failures(actor=actor, job=job)}
        response = Response(BatchSerializer(job, context={"failures": failures}).data, status=status)
        if status == 202:
            response["Location"] = f"/v1/productUpgrades/batches/{job.public_id}"
        return response


# ---------------------------------------------------------------- Partner Center's product upgrades


class ProductUpgradeEligibilityView(LegacyView):
    idempotent_methods = ()  # a read-only POST

    @pc_schema(ok=ProductUpgradesEligibilitySerializer, request=ProductUpgradeRequestSerializer,
               errors=(400, 401, 403, 404, 429),
               summary="Whether a customer can transition from the legacy Azure offer (MS-AZR-0145P) to the Azure plan",
               description='Body {"customerId": "<guid>", "productFamily": "azure"}. Not eligible: isEligible false '
                           "with the reason (and upgradeId when an upgrade is open). " + REQUEST_ERRORS,
               tags=TAGS, operation_id="productupgrades_eligibility_create")
    def post(self, request):
        customer = self.upgrade_customer(request)
        eligibility = services.upgrade_eligibility(actor=self.actor(request), customer=customer)
        return Response(eligibility_data(eligibility))


class ProductUpgradeCreateView(LegacyView):
    @pc_schema(ok=OpenApiResponse(description="Accepted: empty body, Location: productUpgrades/{upgradeId}"),
               ok_status=202, request=ProductUpgradeRequestSerializer, errors=(400, 401, 403, 404, 409, 429),
               parameters=[REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Start a customer's transition to the Azure plan (runs in the background)",
               description="A retry with the same MS-RequestId replays the 202 and its Location; it starts nothing "
                           "more. " + REQUEST_ERRORS + " " + START_ERRORS,
               tags=TAGS, operation_id="productupgrades_create")
    @idempotent
    def post(self, request):
        customer = self.upgrade_customer(request)
        upgrade = services.upgrade_start(actor=self.actor(request), customer=customer)
        response = Response(status=202)
        response["Location"] = f"productUpgrades/{upgrade.public_id}"
        return response


class ProductUpgradeStatusView(LegacyView):
    idempotent_methods = ()  # a read-only POST

    @pc_schema(ok=ProductUpgradesStatusSerializer, request=ProductUpgradeRequestSerializer,
               errors=(400, 401, 403, 404, 429), parameters=[UPGRADE_ID],
               summary="A transition's status with one line item per legacy subscription",
               description='Body {"customerId": "<guid>", "productFamily": "azure"}, as Microsoft\'s sample. 404: '
                           "900106 (upgrade unknown or of another partner), 1000 (customer); 400: 900111 (the upgrade "
                           "belongs to another customer), 900118 (customerId not a GUID), 800002.",
               tags=TAGS, operation_id="productupgrades_status_create")
    def post(self, request, upgrade_id):
        self.upgrade(request, upgrade_id)  # an unknown or foreign upgrade is 404 before the body is read
        data = self.validated(ProductUpgradeRequestSerializer, request)
        _product_family(data, required=False)
        customer = customer_get(actor=self.actor(request), tenant_id=_customer_id(data))
        return Response(ProductUpgradesStatusSerializer(self.upgrade(request, upgrade_id, customer)).data)

    @pc_schema(ok=ProductUpgradesStatusSerializer, errors=(401, 403, 404, 429), parameters=[UPGRADE_ID],
               summary="Extension: the same status without a body",
               description="404: 900106 (upgrade unknown or of another partner).", tags=TAGS,
               operation_id="productupgrades_status_retrieve")
    def get(self, request, upgrade_id):
        return Response(ProductUpgradesStatusSerializer(self.upgrade(request, upgrade_id)).data)


class ProductUpgradeDetailView(LegacyView):
    """What the 202's `Location: productUpgrades/{id}` points at."""

    @pc_schema(ok=ProductUpgradesStatusSerializer, errors=(401, 403, 404, 429), parameters=[UPGRADE_ID],
               summary="Extension: the upgrade named by the Location of POST /v1/productUpgrades (its status)",
               description="404: 900106 (upgrade unknown or of another partner).", tags=TAGS,
               operation_id="productupgrades_retrieve")
    def get(self, request, upgrade_id):
        return Response(ProductUpgradesStatusSerializer(self.upgrade(request, upgrade_id)).data)


class ProductUpgradeRetryView(LegacyView):
    @pc_schema(ok=ProductUpgradesStatusSerializer, ok_status=202, request=ProductUpgradeRetrySerializer,
               errors=(400, 401, 403, 404, 409, 429), parameters=[UPGRADE_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Extension: retry the failed lines of a failed transition (all, or those named)",
               description='Optional body {"subscriptionIds": ["<legacy subscription id>", ...]}. 202 with the '
                           "status and Location: productUpgrades/{id}/status. 404: 900106; 409: 900109 (not failed: "
                           "still running); 400: 900110 (completed), 800002 (an id is not a GUID, or none of them is "
                           "a failed line); 403: 2032.",
               tags=TAGS, operation_id="productupgrades_retry_create")
    @idempotent
    def post(self, request, upgrade_id):
        upgrade = self.upgrade(request, upgrade_id)
        # No body (or {}) retries every failed line; any other body must be the object.
        data = self.validated(ProductUpgradeRetrySerializer, request) if request.data or isinstance(
            request.data, list) else {}
        ids = data.get("subscriptionIds")
        line_ids = None
        if ids is not None:
            line_ids = []
            for index, raw in enumerate(ids):
                try:
                    line_ids.append(uuid.UUID(raw.strip()))
                except ValueError:
                    raise InvalidInput(f"subscriptionIds[{index}] should have GUID format.",
                                       field=f"subscriptionIds[{index}]") from None
            if not line_ids:
                raise InvalidInput("Name at least one subscription, or send no body to retry every failed line.",
                                   field="subscriptionIds")
        upgrade = services.upgrade_retry(actor=self.actor(request), upgrade=upgrade, line_ids=line_ids)
        return self.status_body(request, upgrade, status=202)


# ---------------------------------------------------------------- extension: legacy subscription imports


class CSVParser(BaseParser):
    """A raw CSV body (Content-Type: text/csv): handed to the import service as bytes."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


IMPORTS = inline_serializer("LegacySubscriptionImportCollection", fields={
    "totalCount": serializers.IntegerField(),
    "items": LegacyImportSerializer(many=True),
    "links": serializers.DictField(),
    "attributes": serializers.DictField(),
})


IMPORT_UPLOAD = inline_serializer("LegacySubscriptionImportUpload", fields={
    "file": serializers.FileField(help_text="The CSV file (UTF-8)")})


class LegacyImportView(LegacyView):
    required_permissions = {"POST": Perm.IMPORT_LEGACY_AZURE}
    parser_classes = [PartnerCenterJSONParser, CSVParser, MultiPartParser]

    @pc_schema(ok=IMPORTS, errors=(401, 403, 429), summary="Extension: the latest legacy subscription imports",
               tags=IMPORT_TAGS, operation_id="legacysubscriptions_imports_list")
    def get(self, request):
        rows = legacy_selectors.import_list(actor=self.actor(request))
        return Response(collection(LegacyImportSerializer(rows, many=True).data, request))

    @pc_schema(ok=LegacyImportResultSerializer, ok_status=201,
               also={200: OpenApiResponse(LegacyImportResultSerializer,
                                          description="The same file was imported before: repeated true, nothing "
                                                      "added")},
               request={"application/json": LegacyImportInputSerializer, "text/csv": OpenApiTypes.STR,
                        "multipart/form-data": IMPORT_UPLOAD},
               errors=(400, 401, 403, 429),
               parameters=[OpenApiParameter("fileName", str, description="The file's name, for a text/csv body")],
               summary="Extension: import legacy MS-AZR-0145P subscriptions from CSV (Global admin or Admin agent)",
               description="Columns: customerId, subscriptionId, friendlyName, resellerPartnerId (indirect providers), "
                           "createdDate, optional roleAssignments and entitlementId. The body is the raw CSV "
                           "(text/csv), a multipart form with a `file` part, or JSON {fileName, content}. All or "
                           "nothing: 400 800002 LegacyImportInvalid whose `data` lists every bad row {line, field, "
                           "reason}. The same file again answers 200 with repeated true and added 0. 403: 2032.",
               tags=IMPORT_TAGS, operation_id="legacysubscriptions_imports_create")
    def post(self, request):
        content, file_name = self._file(request)
        result = importer.legacy_import(actor=self.actor(request), content=content, file_name=file_name)
        return Response(import_result_data(result), status=200 if result.repeated else 201)

    def _file(self, request):
        media = (request.content_type or "").split(";")[0].strip().lower()
        if media == "text/csv":
            name = next((v for k, v in request.query_params.items() if k.lower() == "filename"), "")
            return bytes(request.data or b""), name
        if media.startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is None:
                raise InvalidInput("Send the CSV file in a part named file.", field="file")
            return upload.read(), upload.name or ""
        try:
            data = self.validated(LegacyImportInputSerializer, request)
        except RequestDataTooBig:
            raise InvalidInput("The JSON body is too large: send the file as text/csv or as a multipart form with a "
                               "part named file.", field="content") from None
        content = data.get("content")
        if not content:
            raise InvalidInput("content is required: the CSV text.", field="content")
        return content.encode("utf-8"), data.get("fileName") or ""


# ---------------------------------------------------------------- extension: transition batches


BATCHES = inline_serializer("LegacyTransitionBatchCollection", fields={
    "totalCount": serializers.IntegerField(),
    "items": BatchListItemSerializer(many=True),
    "links": serializers.DictField(),
    "attributes": serializers.DictField(),
})


class BatchListView(LegacyView):
    @pc_schema(ok=BATCHES, errors=(401, 403, 429), summary="Extension: the latest transition batches",
               tags=TAGS, operation_id="productupgrades_batches_list")
    def get(self, request):
        actor = self.actor(request)
        jobs = legacy_selectors.batch_list(actor=actor)
        data = BatchListItemSerializer(jobs, many=True).data  # read one batch for its failures
        return Response(collection(data, request))

    @pc_schema(ok=BatchSerializer, ok_status=202, request=BatchInputSerializer, errors=(400, 401, 403, 404, 409, 429),
               parameters=[REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Extension: transition many customers at once (one background upgrade per customer)",
               description='Body {"customerIds": ["<guid>", ...]} or {"allEligible": true}. 202 with the batch and '
                           "Location: /v1/productUpgrades/batches/{id}; customers that are not eligible are in "
                           "`skipped` with their reason. 400: 800002 (neither or both given, too many), 900118 (an id "
                           "is not a GUID, named in parameters.field); 404: 1000 (a customer unknown or of another "
                           "partner); 403: a 9001xx code when no chosen customer is eligible, 2032 (role or partner "
                           "type).",
               tags=TAGS, operation_id="productupgrades_batches_create")
    @idempotent
    def post(self, request):
        actor = self.actor(request)
        data = self.validated(BatchInputSerializer, request)
        ids, all_eligible = data.get("customerIds"), bool(data.get("allEligible"))
        if all_eligible and ids is not None:  # an empty list is given too: both given is the 400 the docs promise
            raise InvalidInput("Send either customerIds or allEligible, not both.", field="customerIds")
        if not all_eligible and not ids:
            raise InvalidInput("Send customerIds (a list of customer ids) or allEligible: true.", field="customerIds")
        customers = None
        if ids:
            if len(ids) > MAX_BATCH_CUSTOMERS:
                raise InvalidInput(f"At most {MAX_BATCH_CUSTOMERS} customers per batch.", field="customerIds")
            tenant_ids = list(dict.fromkeys(_guid(raw, f"customerIds[{index}]") for index, raw in enumerate(ids)))
            # One query for all of them; any id not among the actor's customers is 404, as customer_get answers.
            customers = list(customer_list(actor=actor, include_removed=True).filter(tenant_id__in=tenant_ids)
                             .select_related("organisation"))
            if len(customers) != len(tenant_ids):
                raise NotFound(parameters={"customerId": str(next(
                    t for t in tenant_ids if t not in {c.tenant_id for c in customers}))})
        started = services.batch_start(actor=actor, customers=customers, all_eligible=all_eligible)
        return self.batch_body(request, started.job, status=202)


class BatchDetailView(LegacyView):
    @pc_schema(ok=BatchSerializer, errors=(401, 403, 404, 429), parameters=[BATCH_ID],
               summary="Extension: a transition batch's progress, counts and failures",
               description="404: 1000 (unknown or of another partner).", tags=TAGS,
               operation_id="productupgrades_batches_retrieve")
    def get(self, request, batch_id):
        job = legacy_selectors.batch_get(actor=self.actor(request), public_id=batch_id)
        return self.batch_body(request, job)


class BatchCancelView(LegacyView):
    @pc_schema(ok=BatchSerializer, errors=(401, 403, 404, 409, 429), parameters=[BATCH_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Extension: cancel a batch's customers not yet started (those running finish)",
               description="No body. 409: 990040 (the batch already finished or was cancelled); 404: 1000; 403: "
                           "2032.",
               tags=TAGS, operation_id="productupgrades_batches_cancel_create")
    @idempotent
    def post(self, request, batch_id):
        actor = self.actor(request)
        job = legacy_selectors.batch_get(actor=actor, public_id=batch_id)
        job = services.batch_cancel(actor=actor, job=job)
        return self.batch_body(request, job)
