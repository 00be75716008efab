"""Output shapes of the pricing extensions: camelCase, Microsoft's column names where a field is one of its columns,
prices as decimal strings without trailing zeros (never floats)."""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def decimal_text(value):
    """0.096000000000000000 -> "0.096"; 9223372036854780000.0000000000 -> "9223372036854780000"; None stays."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return text


@extend_schema_field(OpenApiTypes.STR)
class DecimalText(serializers.Field):
    def to_representation(self, value):
        return decimal_text(value)


class PriceListSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    market = serializers.CharField()
    view = serializers.CharField()
    month = serializers.SerializerMethodField()
    rowCount = serializers.IntegerField(source="row_count")
    sha256 = serializers.CharField(source="source_sha256")
    fileName = serializers.CharField(source="file_name")
    importedAt = serializers.DateTimeField(source="imported_at")
    importedBy = serializers.CharField(source="imported_by_label")
    attributes = serializers.SerializerMethodField()

    def get_month(self, obj) -> str:
        return f"{obj.month:%Y%m}"

    def get_attributes(self, obj) -> dict:
        return {"objectType": "PriceList"}


class PriceSheetRowSerializer(serializers.Serializer):
    productTitle = serializers.CharField(source="product_title")
    productId = serializers.CharField(source="product_id")
    skuId = serializers.CharField(source="sku_id")
    skuTitle = serializers.CharField(source="sku_title")
    publisher = serializers.CharField()
    skuDescription = serializers.CharField(source="sku_description")
    unitOfMeasure = serializers.CharField(source="unit_of_measure")
    termDuration = serializers.CharField(source="term_duration")
    market = serializers.CharField()
    currency = serializers.CharField()
    unitPrice = DecimalText(source="unit_price")
    pricingTierRangeMin = DecimalText(source="tier_min", allow_null=True)
    pricingTierRangeMax = DecimalText(source="tier_max", allow_null=True)
    effectiveStartDate = serializers.DateTimeField(source="effective_start")
    effectiveEndDate = serializers.DateTimeField(source="effective_end")
    meterIds = serializers.CharField(source="meter_ids")
    meterType = serializers.CharField(source="meter_type")
    tags = serializers.CharField()
    attributes = serializers.SerializerMethodField()

    def get_attributes(self, obj) -> dict:
        return {"objectType": "PriceSheetRow"}


class HistorySerializer(serializers.Serializer):
    month = serializers.SerializerMethodField()
    effectiveStartDate = serializers.DateTimeField(source="effective_start")
    effectiveEndDate = serializers.DateTimeField(source="effective_end")
    pricingTierRangeMin = DecimalText(source="tier_min", allow_null=True)
    pricingTierRangeMax = DecimalText(source="tier_max", allow_null=True)
    unitPrice = DecimalText(source="unit_price")
    currency = serializers.CharField()
    unitOfMeasure = serializers.CharField(source="unit_of_measure")

    def get_month(self, obj) -> str:
        return f"{obj['month']:%Y%m}"


class DiffRowSerializer(serializers.Serializer):
    productId = serializers.CharField()
    skuId = serializers.CharField()
    tierMin = serializers.CharField(allow_null=True)
    productTitle = serializers.CharField()
    skuTitle = serializers.CharField()
    unitOfMeasure = serializers.CharField()
    meterIds = serializers.CharField()
    oldPrice = serializers.CharField(allow_null=True)
    newPrice = serializers.CharField(allow_null=True)
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    changePercent = serializers.CharField(allow_null=True)


def diff_row_data(row) -> dict:
    return {key: decimal_text(value) if key in ("tierMin", "oldPrice", "newPrice") else
            (str(value) if isinstance(value, Decimal) else value) for key, value in row.items()}


class FxRateSerializer(serializers.Serializer):
    currencyCode = serializers.CharField(source="currency")
    usdPerUnit = DecimalText(source="usd_per_unit")
    month = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()

    def get_month(self, obj) -> str:
        return f"{obj.month:%Y%m}"

    def get_attributes(self, obj) -> dict:
        return {"objectType": "FxRate"}


class ImportSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    market = serializers.CharField()
    view = serializers.CharField()
    month = serializers.SerializerMethodField()
    sha256 = serializers.CharField(source="source_sha256")
    fileName = serializers.CharField(source="file_name")
    rowCount = serializers.IntegerField(source="row_count")
    rowsWritten = serializers.IntegerField(source="rows_written")
    unchanged = serializers.BooleanField()
    report = serializers.DictField()
    createdAt = serializers.DateTimeField(source="created_at")
    importedBy = serializers.CharField(source="imported_by_label")
    attributes = serializers.SerializerMethodField()

    def get_month(self, obj) -> str | None:
        return f"{obj.month:%Y%m}" if obj.month else None

    def get_attributes(self, obj) -> dict:
        return {"objectType": "PricingImport"}
