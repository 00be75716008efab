"""This portal's billing runs extension under /v1/billingruns (docs/api.md "Billing runs (extension)"): start the run
of a closed month (202 + Location), follow it, list the runs. Views parse the request and call
billing.invoicing.runs; errors in Partner Center's envelope (billing/errors.py)."""

import uuid

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.pagination import collection, seek_page
from core.api.schema import CONTINUATION, SIZE, collection_schema, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput

from ..errors import BillingRunNotFound
from . import runs
from .selectors import runs_for

EXT_TAGS = ["Billing runs (extension)"]


class BillingRunSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    month = serializers.SerializerMethodField()
    status = serializers.CharField(source="job.status", help_text="pending, running, succeeded, failed")
    trigger = serializers.CharField(help_text="schedule (the 1st of the month) or manual")
    progress = serializers.SerializerMethodField()
    invoiceId = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    createdBy = serializers.CharField(source="created_by_label")
    finishedAt = serializers.DateTimeField(source="job.finished_at", allow_null=True)
    error = serializers.CharField(source="job.error")
    links = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()

    def get_month(self, obj) -> str:
        return f"{obj.month:%Y-%m}"

    def get_progress(self, obj) -> dict:
        """{percent, chunksDone, chunks, linesWritten}: chunks of customers written so far."""
        job = obj.job
        result = job.result or {}
        return {"percent": job.percent, "chunksDone": job.done, "chunks": job.total,
                "linesWritten": result.get("linesWritten", obj.lines_written)}

    def get_invoiceId(self, obj) -> str | None:  # noqa: N802
        """The invoice's number (Partner Center's invoice id) once finalized; null while the run writes it."""
        invoice = obj.invoice
        return invoice.number if invoice is not None and invoice.status != "draft" else None

    def get_links(self, obj) -> dict:
        links = {"self": {"uri": f"/billingruns/{obj.public_id}", "method": "GET", "headers": []}}
        number = self.get_invoiceId(obj)
        if number:
            links["invoice"] = {"uri": f"/invoices/{number}", "method": "GET", "headers": []}
        return links

    def get_attributes(self, obj) -> dict:
        return {"objectType": "BillingRun"}


START = inline_serializer("BillingRunStart", fields={
    "month": serializers.CharField(help_text="The closed month to bill, YYYY-MM (or YYYYMM)")})


def _run_get(actor, run_id):
    try:
        key = uuid.UUID(str(run_id))
    except ValueError:
        key = None
    run = runs_for(actor).filter(public_id=key).first() if key is not None else None
    if run is None:
        raise BillingRunNotFound(parameters={"billingRunId": str(run_id)})
    return run


class BillingRunListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES, "POST": Perm.RUN_BILLING}

    @pc_schema(ok=collection_schema("BillingRunCollection", BillingRunSerializer, paged=True),
               errors=(400, 401, 403, 429), parameters=[SIZE, CONTINUATION],
               summary="Extension: the organisation's billing runs, newest first", tags=EXT_TAGS,
               operation_id="billing_runs_list")
    def get(self, request):
        rows = runs_for(self.actor(request))
        page, token = seek_page(request, rows, ordering=("-created_at", "-id"), scope=["billing-runs"])
        return Response(collection(BillingRunSerializer(page, many=True).data, request, next_token=token))

    @pc_schema(ok=BillingRunSerializer, ok_status=202, request=START, errors=(400, 401, 403, 404, 409, 429),
               summary="Extension: bill a closed month (in the background)", tags=EXT_TAGS,
               description="Starts the billing run of a closed month (before the current UTC month) for the caller's "
                           "organisation and answers 202 with the run and Location: /v1/billingruns/{id}; poll it "
                           "for status and progress; once succeeded, invoiceId is the finalized invoice's number. "
                           "Refusals, nothing written: 400/800002 (month missing, malformed or not closed), "
                           "409/990330 UnratedUsageRemains (data lists the meters), 409/990310 ExchangeRateMissing "
                           "(parameters name currency and month), 409/990331 MonthAlreadyInvoiced (a second run of "
                           "the same month writes nothing; parameters.invoiceNumber), 409/990332 "
                           "BillingRunInProgress, 409/990333 NothingToBill. 403/2032: Global admin or Billing admin.",
               operation_id="billing_runs_create")
    def post(self, request):
        actor = self.actor(request)
        data = request.data if isinstance(request.data, dict) else {}
        month = next((value for key, value in data.items() if key.lower() == "month"), None)
        if not isinstance(month, str) or not month.strip():
            raise InvalidInput("month is required: the closed month to bill, written YYYY-MM.", field="month")
        run = runs.billing_run_start(actor=actor, organisation_id=actor.organisation_id, month=month.strip())
        run = runs_for(actor).get(pk=run.pk)
        response = Response(BillingRunSerializer(run).data, status=202)
        response["Location"] = f"/v1/billingruns/{run.public_id}"
        return response


class BillingRunDetailView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_INVOICES}

    @pc_schema(ok=BillingRunSerializer, parameters=[OpenApiParameter("run_id", str, OpenApiParameter.PATH)],
               summary="Extension: one billing run: status, progress and its invoice", tags=EXT_TAGS,
               description="404/990334 for an unknown or foreign id.", operation_id="billing_runs_get")
    def get(self, request, run_id):
        return Response(BillingRunSerializer(_run_get(self.actor(request), run_id)).data)
