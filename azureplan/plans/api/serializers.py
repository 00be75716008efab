"""The Azure plan (Partner Center's Subscription), its Azure subscriptions (AzureEntitlement) and their role
assignments (extension) on the wire, as api reference §11-§12 and Microsoft's samples print them. Links are
relative and without /v1; catalog links name the customer's country."""

from urllib.parse import quote, urlencode

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import AttributesField, LinkSerializer, PCSerializer, SelfLinkSerializer, link

from ...catalog.api.serializers import ItemTypeSerializer, _Ordered, _product_path, _sku_path

# ---------------------------------------------------------------- ordering and the Azure plan
#
# Cart, CartCheckoutResult, Order, OrderLineItemProvisioningStatus, Subscription (the Azure plan) and
# AzureEntitlement (an Azure subscription under it) as api reference §9-§12 and Microsoft's samples print
# them, plus this portal's extensions (role assignments, Azure roles, PEC status). Links are relative and
# without /v1; catalog links name the customer's country.


def _customer_path(customer):
    return f"/customers/{customer.tenant_id}"


def _catalog_links(offer_id, country):
    """product, sku and availability links of a catalog item id `{productId}:{skuId}:{availabilityId}`."""
    product_id, sku_id, availability_id = (offer_id.split(":") + ["", "", ""])[:3]
    query = "?" + urlencode({"country": country})
    return {"product": link(f"{_product_path(product_id)}{query}"),
            "sku": link(f"{_sku_path(product_id, sku_id)}{query}"),
            "availability": link(f"{_sku_path(product_id, sku_id)}/availabilities/{quote(availability_id)}{query}")}


def _plan_path(plan):
    return f"{_customer_path(plan.customer)}/subscriptions/{plan.public_id}"


def _entitlement_path(sub):
    return f"{_plan_path(sub.plan)}/azureEntitlements/{sub.subscription_id}"


class SubscriptionLinksSerializer(serializers.Serializer):
    product = LinkSerializer()
    sku = LinkSerializer()
    availability = LinkSerializer()
    self = LinkSerializer()


class SubscriptionSerializer(_Ordered):
    """The Azure plan as a Partner Center Subscription (api reference §11.1)."""

    id = serializers.UUIDField(source="public_id", help_text="The Azure plan's id")
    offerId = serializers.CharField(source="offer_id")
    offerName = serializers.SerializerMethodField()
    friendlyName = serializers.CharField(source="friendly_name")
    productType = serializers.SerializerMethodField()
    quantity = serializers.SerializerMethodField()
    unitType = serializers.SerializerMethodField()
    hasPurchasableAddons = serializers.SerializerMethodField()
    creationDate = serializers.DateTimeField(source="created_at")
    effectiveStartDate = serializers.SerializerMethodField()
    commitmentEndDate = serializers.SerializerMethodField(help_text="Far future: the plan does not end")
    status = serializers.CharField(help_text="pending, active, suspended or deleted")
    autoRenewEnabled = serializers.SerializerMethodField()
    isTrial = serializers.SerializerMethodField()
    billingType = serializers.SerializerMethodField()
    billingCycle = serializers.SerializerMethodField()
    termDuration = serializers.SerializerMethodField()
    renewalTermDuration = serializers.SerializerMethodField()
    isMicrosoftProduct = serializers.SerializerMethodField()
    partnerId = serializers.SerializerMethodField(help_text="The indirect reseller of record's PartnerID, or empty")
    attentionNeeded = serializers.SerializerMethodField()
    actionTaken = serializers.SerializerMethodField()
    contractType = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()
    publisherName = serializers.SerializerMethodField()
    orderId = serializers.UUIDField(source="order.public_id")
    attributes = AttributesField("Subscription", etag=True)

    def get_offerName(self, obj) -> str:
        return "Azure plan"

    @extend_schema_field(ItemTypeSerializer)
    def get_productType(self, obj):
        return {"id": "Azure", "displayName": "Azure"}

    def get_quantity(self, obj) -> int:
        return 1

    def get_unitType(self, obj) -> str:
        return "Usage-based"

    def get_hasPurchasableAddons(self, obj) -> bool:
        return False

    def get_effectiveStartDate(self, obj) -> str:
        return serializers.DateTimeField().to_representation(obj.activated_at or obj.created_at)

    def get_commitmentEndDate(self, obj) -> str:
        return "9999-12-31T00:00:00Z"

    def get_autoRenewEnabled(self, obj) -> bool:
        return False

    def get_isTrial(self, obj) -> bool:
        return False

    def get_billingType(self, obj) -> str:
        return "usage"

    def get_billingCycle(self, obj) -> str:
        return "one_time"

    def get_termDuration(self, obj) -> str:
        return ""

    def get_renewalTermDuration(self, obj) -> str:
        return ""

    def get_isMicrosoftProduct(self, obj) -> bool:
        return True

    def get_partnerId(self, obj) -> str:
        return obj.reseller.partner_id if obj.reseller_id else ""

    def get_attentionNeeded(self, obj) -> bool:
        return False

    def get_actionTaken(self, obj) -> bool:
        return False

    def get_contractType(self, obj) -> str:
        return "subscription"

    def get_publisherName(self, obj) -> str:
        return "Microsoft Corporation"

    @extend_schema_field(SubscriptionLinksSerializer)
    def get_links(self, obj):
        return {**_catalog_links(obj.offer_id, obj.customer.country_id), "self": link(_plan_path(obj))}


class AzureEntitlementSerializer(_Ordered):
    """An Azure subscription under the plan (Partner Center's AzureEntitlement, api reference §12)."""

    id = serializers.UUIDField(source="subscription_id", help_text="The Azure subscription id")
    friendlyName = serializers.CharField(source="friendly_name")
    status = serializers.CharField(help_text="active, inactive (cancelled) or deleted")
    subscriptionId = serializers.UUIDField(source="plan.public_id", help_text="The Azure plan's subscription id")
    links = serializers.SerializerMethodField()
    deleteAfter = serializers.DateTimeField(source="delete_after", allow_null=True,
                                            help_text="Extension: when a cancelled Azure subscription is deleted")
    pecEligible = serializers.SerializerMethodField(help_text="Extension: whether your organisation (or its reseller "
                                                              "of record) holds a role that earns partner earned "
                                                              "credit")
    pecReason = serializers.SerializerMethodField(help_text="Extension: why (not)")
    attributes = AttributesField("AzureEntitlement", etag=True)

    def _pec(self, obj):
        from ..services import pec_status

        cache = self.context.setdefault("_pec", {})
        if obj.pk not in cache:
            cache[obj.pk] = pec_status(obj)
        return cache[obj.pk]

    def get_pecEligible(self, obj) -> bool:
        return bool(self._pec(obj)[0])

    def get_pecReason(self, obj) -> str:
        return str(self._pec(obj)[1])

    @extend_schema_field(SelfLinkSerializer)
    def get_links(self, obj):
        return {"self": link(_entitlement_path(obj))}


class RoleAssignmentSerializer(_Ordered):
    """Extension: a role on an Azure subscription or one of its resource groups."""

    id = serializers.UUIDField(source="public_id")
    principalType = serializers.CharField(source="principal_type")
    principalId = serializers.CharField(source="principal_id")
    principalName = serializers.CharField(source="principal_name")
    roleName = serializers.CharField(source="role_id")
    pecEligible = serializers.BooleanField(source="role.pec_eligible", help_text="Whether the role earns PEC")
    resourceGroup = serializers.CharField(source="resource_group", help_text="Empty: the whole subscription")
    scope = serializers.CharField()
    partnerId = serializers.SerializerMethodField(help_text="The PartnerID of the partner a partner principal "
                                                            "belongs to")
    grantedAt = serializers.DateTimeField(source="granted_at")
    removedAt = serializers.DateTimeField(source="removed_at", allow_null=True)
    attributes = AttributesField("RoleAssignment")

    def get_partnerId(self, obj) -> str | None:
        return obj.partner.partner_id if obj.partner_id else None


# ---------------------------------------------------------------- input (any casing; rules in services)

def _text(**kwargs):
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, **kwargs)


def _number(**kwargs):
    return serializers.IntegerField(required=False, allow_null=True, **kwargs)


class SubscriptionPatchSerializer(PCSerializer):
    """The whole Subscription as read (Partner Center's GET-modify-PATCH) or only the changed fields: only
    `friendlyName` and `status` are applied, other properties are ignored."""

    friendlyName = _text()
    status = _text(help_text="active or suspended")


class AzureEntitlementCreateSerializer(PCSerializer):
    friendlyName = _text(help_text="1 to 64 characters")
    partnerIdOnRecord = _text(help_text="Indirect providers: another of your resellers as reseller of record")


class AzureEntitlementPatchSerializer(PCSerializer):
    friendlyName = _text(help_text="1 to 64 characters")


class AzureEntitlementCancelSerializer(PCSerializer):
    cancellationReason = _text(help_text="compromise, abuse, customer_request, unused or other")


class RoleAssignmentInputSerializer(PCSerializer):
    principalType = _text(help_text="partner_admin_agents, indirect_reseller, other_partner or customer_user")
    principalId = _text()
    principalName = _text()
    roleName = _text(help_text="An Azure built-in role (GET /v1/azureRoles), e.g. Owner")
    resourceGroup = _text(help_text="Empty: the whole subscription")
    partnerId = _text(help_text="The PartnerID of the partner a partner principal belongs to")
