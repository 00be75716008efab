"""Legacy Azure (MS-AZR-0145P) subscriptions and their transition to the Azure plan on the wire (api reference
§11.1 and §14, Microsoft's samples get-subscription-legacy-azure, product-upgrade-eligibility and
product-upgrade-status), plus this portal's extensions: legacy imports and transition batches.

A legacy subscription prints exactly the keys of Microsoft's sample plus `partnerId` (the indirect reseller of
record's PartnerID, or empty); once moved to the Azure plan it adds the extensions `transitionedAt` (the
cut-over instant), `azurePlanId` and `azureSubscriptionId`."""

from urllib.parse import urlencode

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import AttributesField, LinkSerializer, PCSerializer, link

from ...catalog.api.serializers import _Ordered
from ...choices import LEGACY_AZURE_SKU_ID, UpgradeLineStatus, UpgradeStatus
from ..rules import SOURCE_PRODUCT_NAME, TARGET_PRODUCT_NAME

LEGACY_OFFER_NAME = "Microsoft Azure"

# Partner Center spells product upgrade statuses in PascalCase ("Completed" in Microsoft's sample).
UPGRADE_STATUS_WIRE = {
    UpgradeStatus.PENDING: "Pending",
    UpgradeStatus.IN_PROGRESS: "InProgress",
    UpgradeStatus.COMPLETED: "Completed",
    UpgradeStatus.FAILED: "Failed",
    UpgradeStatus.CANCELLED: "Cancelled",
}
LINE_STATUS_WIRE = {
    UpgradeLineStatus.PENDING: "Pending",
    UpgradeLineStatus.COMPLETED: "Completed",
    UpgradeLineStatus.FAILED: "Failed",
}


def _datetime(value):
    return serializers.DateTimeField().to_representation(value) if value else None


class OptionalMethodField(serializers.SerializerMethodField):
    """A method field that the response leaves out when it has no value (OmitsEmptyOptional). drf-spectacular
    marks every read-only field `required`; these serializers only ever render, so the field is not flagged
    read-only and the schema lists it as optional, as sent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.read_only = False


class OmitsEmptyOptional:
    """Leaves out the OptionalMethodField keys whose value is None (an extension not set yet, no error)."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name, field in self.fields.items():
            if isinstance(field, OptionalMethodField) and data.get(name) is None:
                data.pop(name, None)
        return data


class LegacySubscriptionLinksSerializer(serializers.Serializer):
    offer = LinkSerializer()
    self = LinkSerializer()


class LegacySubscriptionSerializer(OmitsEmptyOptional, _Ordered):
    """A legacy MS-AZR-0145P subscription as Partner Center prints it (get-subscription-legacy-azure)."""

    id = serializers.UUIDField(source="public_id", help_text="The commerce subscription id")
    entitlementId = serializers.UUIDField(source="entitlement_id", help_text="The Azure subscription id")
    offerId = serializers.SerializerMethodField()
    offerName = serializers.SerializerMethodField()
    friendlyName = serializers.CharField(source="friendly_name")
    quantity = serializers.SerializerMethodField()
    unitType = serializers.SerializerMethodField()
    creationDate = serializers.DateTimeField(source="created_date")
    effectiveStartDate = serializers.SerializerMethodField(help_text="The creation day at midnight UTC")
    commitmentEndDate = serializers.SerializerMethodField(help_text="Far future: the legacy offer does not end")
    status = serializers.CharField(help_text="active, or suspended (once moved to the Azure plan)")
    autoRenewEnabled = serializers.SerializerMethodField()
    billingType = serializers.SerializerMethodField()
    contractType = serializers.SerializerMethodField()
    partnerId = serializers.SerializerMethodField(help_text="The indirect reseller of record's PartnerID, or empty")
    transitionedAt = OptionalMethodField(
        help_text="Extension, once moved: the cut-over instant (usage before it belongs to the legacy offer, after "
                  "it to the Azure plan)")
    azurePlanId = OptionalMethodField(help_text="Extension, once moved: the Azure plan's subscription id")
    azureSubscriptionId = OptionalMethodField(
        help_text="Extension, once moved: the Azure subscription (Azure entitlement) it became")
    links = serializers.SerializerMethodField()
    orderId = serializers.UUIDField(source="order_id")
    attributes = AttributesField("Subscription", etag=True)

    def get_offerId(self, obj) -> str:
        return LEGACY_AZURE_SKU_ID

    def get_offerName(self, obj) -> str:
        return LEGACY_OFFER_NAME

    def get_quantity(self, obj) -> int:
        return 1

    def get_unitType(self, obj) -> str:
        return "Usage-based"

    def get_effectiveStartDate(self, obj) -> str:
        return obj.created_date.strftime("%Y-%m-%dT00:00:00Z")

    def get_commitmentEndDate(self, obj) -> str:
        # As Microsoft prints it: December of year 9999, on the creation day of the month.
        return f"9999-12-{obj.created_date.day:02d}T00:00:00Z"

    def get_autoRenewEnabled(self, obj) -> bool:
        return False

    def get_billingType(self, obj) -> str:
        return "usage"

    def get_contractType(self, obj) -> str:
        return "subscription"

    def get_partnerId(self, obj) -> str:
        return obj.reseller.partner_id if obj.reseller_id else ""

    def get_transitionedAt(self, obj) -> str | None:
        return _datetime(obj.transitioned_at)

    def get_azurePlanId(self, obj) -> str | None:
        return str(obj.azure_subscription.plan.public_id) if obj.azure_subscription_id else None

    def get_azureSubscriptionId(self, obj) -> str | None:
        return str(obj.azure_subscription.subscription_id) if obj.azure_subscription_id else None

    @extend_schema_field(LegacySubscriptionLinksSerializer)
    def get_links(self, obj):
        query = "?" + urlencode({"country": obj.customer.country_id})
        return {"offer": link(f"/offers/{LEGACY_AZURE_SKU_ID}{query}"),
                "self": link(f"/customers/{obj.customer.tenant_id}/subscriptions/{obj.public_id}")}


# ---------------------------------------------------------------- product upgrades (api reference §14)


class ProductUpgradeRequestSerializer(PCSerializer):
    """Partner Center's ProductUpgradeRequest, in any casing."""

    customerId = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                       help_text="The customer's tenant id (a GUID)")
    productFamily = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                          help_text="azure (any case): the only product family")
    attributes = serializers.DictField(required=False, allow_null=True, help_text="Ignored ({ObjectType: "
                                                                                  "ProductUpgradeRequest})")


class ProductUpgradeRetrySerializer(PCSerializer):
    subscriptionIds = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True,
                                            help_text="Only these failed lines (legacy subscription ids); none: "
                                                      "every failed line")


class ProductUpgradesEligibilitySerializer(serializers.Serializer):
    customerId = serializers.CharField()
    productFamily = serializers.CharField()
    isEligible = serializers.BooleanField()
    upgradeId = serializers.CharField(required=False, help_text="When an upgrade is open for the customer")
    reason = serializers.CharField(required=False, help_text="Why not, when not eligible")
    attributes = serializers.DictField()


def eligibility_data(eligibility, product_family="azure"):
    data = {"customerId": str(eligibility.customer.tenant_id), "productFamily": product_family,
            "isEligible": eligibility.is_eligible}
    if eligibility.upgrade_id:
        data["upgradeId"] = str(eligibility.upgrade_id)
    if not eligibility.is_eligible:
        data["reason"] = str(eligibility.reason)
    data["attributes"] = {"objectType": "ProductUpgradesEligibility"}
    return data


class ProductSerializerRef(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class ErrorDetailsSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()


class ProductUpgradesLineItemSerializer(OmitsEmptyOptional, serializers.Serializer):
    sourceProduct = serializers.SerializerMethodField()
    targetProduct = serializers.SerializerMethodField()
    upgradedDate = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text="Pending, Completed or Failed")
    errorDetails = OptionalMethodField(help_text="When failed")

    @extend_schema_field(ProductSerializerRef(help_text="The legacy subscription (name AzureSubscription)"))
    def get_sourceProduct(self, obj):
        return {"id": str(obj.legacy.public_id), "name": SOURCE_PRODUCT_NAME}

    @extend_schema_field(ProductSerializerRef(help_text="The Azure plan (id null until the line moved)"))
    def get_targetProduct(self, obj):
        return {"id": str(obj.plan.public_id) if obj.plan_id else None, "name": TARGET_PRODUCT_NAME}

    def get_upgradedDate(self, obj) -> str | None:
        return _datetime(obj.upgraded_at)

    def get_status(self, obj) -> str:
        return LINE_STATUS_WIRE.get(obj.status, obj.status)

    @extend_schema_field(ErrorDetailsSerializer(allow_null=True))
    def get_errorDetails(self, obj):
        if obj.status != UpgradeLineStatus.FAILED:
            return None
        return {"code": obj.error_code, "description": obj.error_message}


class ProductUpgradesStatusSerializer(OmitsEmptyOptional, _Ordered):
    id = serializers.UUIDField(source="public_id")
    productFamily = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text="Pending, InProgress, Completed, Failed or Cancelled")
    lineItems = ProductUpgradesLineItemSerializer(source="lines.all", many=True)
    errorDetails = OptionalMethodField(help_text="The upgrade's own error, when set")
    attributes = AttributesField("ProductUpgradesStatus")

    def get_productFamily(self, obj) -> str:
        return "Azure"

    def get_status(self, obj) -> str:
        return UPGRADE_STATUS_WIRE.get(obj.status, obj.status)

    @extend_schema_field(ErrorDetailsSerializer(allow_null=True))
    def get_errorDetails(self, obj):
        if not obj.error_code:
            return None
        return {"code": obj.error_code, "description": obj.error_message}


# ---------------------------------------------------------------- extension: legacy imports


class LegacyImportInputSerializer(PCSerializer):
    fileName = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=255)
    content = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                    help_text="The CSV text (UTF-8)")


class LegacyImportSerializer(_Ordered):
    id = serializers.UUIDField(source="public_id")
    fileName = serializers.CharField(source="file_name")
    rows = serializers.IntegerField(help_text="Subscription rows in the file")
    added = serializers.IntegerField(help_text="Rows imported by this request")
    alreadyPresent = serializers.IntegerField(source="already_present",
                                              help_text="Rows already imported for the same customer")
    createdDate = serializers.DateTimeField(source="created_at")
    attributes = AttributesField("LegacySubscriptionImport")


class LegacyImportResultSerializer(LegacyImportSerializer):
    repeated = serializers.BooleanField(help_text="The same file was imported before: nothing was added")


def import_result_data(result):
    data = LegacyImportSerializer(result.legacy_import).data
    attributes = data.pop("attributes")
    data["added"] = result.added
    if result.repeated:
        data["alreadyPresent"] = result.legacy_import.rows
    data["repeated"] = result.repeated
    data["attributes"] = attributes
    return data


# ---------------------------------------------------------------- extension: transition batches


class BatchInputSerializer(PCSerializer):
    customerIds = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False,
                                        allow_null=True, help_text="Customers' tenant ids")
    allEligible = serializers.BooleanField(required=False, allow_null=True,
                                           help_text="true: every customer with active legacy subscriptions")


class BatchSkippedSerializer(serializers.Serializer):
    customerId = serializers.CharField()
    companyName = serializers.CharField()
    code = serializers.IntegerField()
    reason = serializers.CharField()


class BatchFailureSerializer(serializers.Serializer):
    customerId = serializers.CharField()
    companyName = serializers.CharField()
    subscriptionId = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField()


class BatchSerializer(_Ordered):
    """A transition batch: the core Job row of kind legacy_azure_transition with its counts."""

    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField(help_text="running (also again while a retried customer runs), succeeded (every "
                                             "customer done, some perhaps with failed lines) or cancelled")
    totalCustomers = serializers.IntegerField(source="total")
    customersDone = serializers.IntegerField(source="done")
    customersFailed = serializers.IntegerField(source="failures")
    linesMoved = serializers.SerializerMethodField()
    linesFailed = serializers.SerializerMethodField()
    percent = serializers.IntegerField()
    skipped = serializers.SerializerMethodField(help_text="Customers not started, with the reason")
    failures = serializers.SerializerMethodField(help_text="Failed subscriptions with their reason")
    createdDate = serializers.DateTimeField(source="created_at")
    finishedDate = serializers.DateTimeField(source="finished_at", allow_null=True)
    attributes = AttributesField("LegacyTransitionBatch")

    def get_linesMoved(self, obj) -> int:
        return int((obj.result or {}).get("linesMoved", 0))

    def get_linesFailed(self, obj) -> int:
        return int((obj.result or {}).get("linesFailed", 0))

    @extend_schema_field(BatchSkippedSerializer(many=True))
    def get_skipped(self, obj):
        return list((obj.params or {}).get("skipped", []))

    @extend_schema_field(BatchFailureSerializer(many=True))
    def get_failures(self, obj):
        return [{"customerId": str(line.upgrade.customer.tenant_id), "companyName": line.upgrade.customer.company_name,
                 "subscriptionId": str(line.legacy.public_id), "code": line.error_code,
                 "description": line.error_message}
                for line in self.context.get("failures", {}).get(obj.pk, [])]


class BatchListItemSerializer(BatchSerializer):
    """A batch in the list: without its failures (read one batch for them)."""

    failures = None
