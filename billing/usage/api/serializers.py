"""Output shapes of the usage extensions: camelCase, counts as numbers, Microsoft's column names in bad-line reports."""

from rest_framework import serializers


class UsageImportSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.SerializerMethodField()
    source = serializers.CharField()
    fileName = serializers.CharField(source="file_name")
    sha256 = serializers.CharField(source="source_sha256")
    createdAt = serializers.DateTimeField(source="created_at")
    createdBy = serializers.CharField(source="created_by_label")
    progress = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()

    def get_status(self, obj) -> str:
        """pending, running, succeeded or failed (the job's; an import run synchronously is succeeded)."""
        if obj.job is not None:
            return obj.job.status
        return (obj.report or {}).get("status") or "succeeded"

    def get_progress(self, obj) -> dict:
        job = obj.job
        if job is None:
            return {"percent": 100, "linesStaged": obj.line_count, "rowsWritten": obj.rows_added + obj.rows_replaced,
                    "phase": "done"}
        result = job.result or {}
        return {"percent": job.percent, "linesStaged": result.get("linesStaged", job.done),
                "rowsWritten": result.get("rowsWritten", 0), "phase": result.get("phase", job.status),
                "totalLines": job.total}

    def get_report(self, obj) -> dict:
        report = obj.report or {}
        return {"added": obj.rows_added, "replaced": obj.rows_replaced, "unchanged": obj.rows_unchanged,
                "unmatched": obj.rows_unmatched, "notRated": obj.rows_not_rated, "lines": obj.line_count,
                "refreshed": report.get("refreshed", 0), "matchedWaiting": report.get("matchedWaiting", 0),
                "months": report.get("months", []), "message": report.get("message", ""),
                "errorName": report.get("errorName", ""), "errors": report.get("errors", []),
                "totalCount": report.get("totalCount", 0)}

    def get_attributes(self, obj) -> dict:
        return {"objectType": "UsageImport"}


class UnmatchedUsageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    importId = serializers.UUIDField(source="usage_import.public_id")
    lineNumber = serializers.IntegerField(source="line_number")
    reason = serializers.CharField()
    reasonText = serializers.CharField(source="get_reason_display")
    customerId = serializers.CharField(source="customer_tenant_id")
    entitlementId = serializers.CharField(source="entitlement_id")
    usageDate = serializers.DateField(source="usage_date")
    meterId = serializers.SerializerMethodField()
    quantity = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    matchedAt = serializers.DateTimeField(source="matched_at", allow_null=True)
    attributes = serializers.SerializerMethodField()

    def get_meterId(self, obj) -> str:  # noqa: N802
        return (obj.row or {}).get("meter_id", "")

    def get_quantity(self, obj) -> str:
        return (obj.row or {}).get("quantity", "")

    def get_attributes(self, obj) -> dict:
        return {"objectType": "UnmatchedUsage"}
