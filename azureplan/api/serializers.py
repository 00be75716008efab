"""Partner Center's Product, Sku and Availability on the wire (api reference §8.1 and Microsoft's samples).

Links are relative and without /v1 and always name the country (`/products/{id}?country=US`), also in
the customer-scoped answers, as Microsoft's examples print them. The serializer context carries
`country` (the code) and, when the request named one, `segment` (added to the availabilities link).
"""

from urllib.parse import quote, urlencode

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import AttributesField, PCSerializer, link


def _query(context, *, segment=False):
    params = {"country": context["country"]}
    if segment and context.get("segment"):
        params["targetSegment"] = context["segment"]
    return "?" + urlencode(params)


def _product_path(product_id):
    return f"/products/{quote(product_id)}"


def _sku_path(product_id, sku_id):
    return f"{_product_path(product_id)}/skus/{quote(sku_id)}"


class ItemTypeSerializer(serializers.Serializer):
    id = serializers.CharField()
    displayName = serializers.CharField()
    subType = serializers.DictField(required=False, help_text="An ItemType {id, displayName}")


class KeyValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.CharField()


class LinkSerializer(serializers.Serializer):
    uri = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.ListField(child=serializers.DictField())


class ProductLinksSerializer(serializers.Serializer):
    skus = LinkSerializer()
    self = LinkSerializer()


class SkuLinksSerializer(serializers.Serializer):
    availabilities = LinkSerializer()
    self = LinkSerializer()


class SelfLinkSerializer(serializers.Serializer):
    self = LinkSerializer()


class _Ordered(serializers.Serializer):
    """`attributes` last, as Partner Center prints it."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["attributes"] = data.pop("attributes")
        return data


class ProductSerializer(_Ordered):
    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    productType = ItemTypeSerializer(source="product_type")
    isMicrosoftProduct = serializers.BooleanField(source="is_microsoft_product")
    publisherName = serializers.CharField(source="publisher_name")
    links = serializers.SerializerMethodField()
    localizedAttributes = KeyValueSerializer(source="localized_attributes", many=True, required=False)
    attributes = AttributesField("Product")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance.localized_attributes:
            data.pop("localizedAttributes")  # only the Azure plan has them in Microsoft's examples
        return data

    @extend_schema_field(ProductLinksSerializer)
    def get_links(self, obj):
        path, query = _product_path(obj.id), _query(self.context)
        return {"skus": link(f"{path}/skus{query}"), "self": link(f"{path}{query}")}


class SkuSerializer(_Ordered):
    id = serializers.CharField(source="sku_id")
    productId = serializers.CharField(source="product_id")
    title = serializers.CharField()
    description = serializers.CharField()
    minimumQuantity = serializers.IntegerField(source="minimum_quantity")
    maximumQuantity = serializers.IntegerField(source="maximum_quantity")
    isTrial = serializers.BooleanField(source="is_trial")
    supportedBillingCycles = serializers.ListField(source="supported_billing_cycles", child=serializers.CharField())
    purchasePrerequisites = serializers.ListField(source="purchase_prerequisites", child=serializers.CharField())
    inventoryVariables = serializers.ListField(source="inventory_variables", child=serializers.CharField(),
                                               required=False, allow_null=True)
    provisioningVariables = serializers.ListField(source="provisioning_variables", child=serializers.CharField(),
                                                  required=False, allow_null=True)
    actions = serializers.ListField(child=serializers.CharField())
    dynamicAttributes = serializers.DictField(source="dynamic_attributes",
                                              help_text="Free-form; do not depend on its keys")
    links = serializers.SerializerMethodField()
    attributes = AttributesField("Sku")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # None: the data file has no such list (Microsoft's legacy Azure SKU prints neither); [] prints [].
        if instance.inventory_variables is None:
            data.pop("inventoryVariables", None)
        if instance.provisioning_variables is None:
            data.pop("provisioningVariables", None)
        return data

    @extend_schema_field(SkuLinksSerializer)
    def get_links(self, obj):
        path = _sku_path(obj.product_id, obj.sku_id)
        return {"availabilities": link(f"{path}/availabilities{_query(self.context, segment=True)}"),
                "self": link(f"{path}{_query(self.context)}")}


class CurrencySerializer(serializers.Serializer):
    code = serializers.CharField(source="currency")
    symbol = serializers.CharField(source="currency_symbol")


class TermSerializer(serializers.Serializer):
    duration = serializers.CharField(help_text="ISO 8601, e.g. P1Y")
    description = serializers.CharField()


class AvailabilitySerializer(_Ordered):
    id = serializers.CharField(source="availability_id")
    productId = serializers.CharField(source="sku.product_id")
    skuId = serializers.CharField(source="sku.sku_id")
    catalogItemId = serializers.CharField(source="catalog_item_id",
                                          help_text="{productId}:{skuId}:{availabilityId}: what a cart or order names")
    defaultCurrency = CurrencySerializer(source="*")
    segment = serializers.CharField()
    country = serializers.CharField(source="country_id")
    isPurchasable = serializers.BooleanField(source="is_purchasable")
    isRenewable = serializers.BooleanField(source="is_renewable")
    terms = TermSerializer(many=True)
    product = serializers.SerializerMethodField()
    sku = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()
    attributes = AttributesField("Availability")

    def _nested_context(self, obj):
        return {**self.context, "country": obj.country_id}

    @extend_schema_field(ProductSerializer)
    def get_product(self, obj):
        return ProductSerializer(obj.sku.product, context=self._nested_context(obj)).data

    @extend_schema_field(SkuSerializer)
    def get_sku(self, obj):
        return SkuSerializer(obj.sku, context=self._nested_context(obj)).data

    @extend_schema_field(SelfLinkSerializer)
    def get_links(self, obj):
        path = f"{_sku_path(obj.sku.product_id, obj.sku.sku_id)}/availabilities/{quote(obj.availability_id)}"
        return {"self": link(f"{path}?{urlencode({'country': obj.country_id})}")}


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


@extend_schema_field({
    "type": "object",
    "properties": {"objectType": {"type": "string"}, "etag": {"type": "string"}},
    "required": ["objectType", "etag"],
})
class StatusAttributesField(AttributesField):
    """`attributes {objectType, etag}` of a resource without a version column: an order changes only its
    status, so its etag follows the status."""

    def to_representation(self, instance):
        import hashlib

        from django.conf import settings

        raw = f"{settings.SECRET_KEY[:8]}:{instance._meta.label}:{instance.pk}:{instance.status}"
        return {"objectType": self.object_type, "etag": hashlib.sha256(raw.encode()).hexdigest()[:24]}


class CartLinksSerializer(serializers.Serializer):
    self = LinkSerializer()


class CartLineItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="line_number", help_text="0-based, assigned in order")
    catalogItemId = serializers.CharField(source="catalog_item_id")
    friendlyName = serializers.CharField(source="friendly_name")
    quantity = serializers.IntegerField()
    currencyCode = serializers.CharField(source="availability.currency")
    billingCycle = serializers.CharField(source="billing_cycle")
    participants = serializers.SerializerMethodField()
    orderGroup = serializers.CharField(source="order_group",
                                       help_text="Lines of the same group become one order (one per reseller of record)")

    @extend_schema_field(KeyValueSerializer(many=True))
    def get_participants(self, obj):
        return [{"key": "transaction_reseller", "value": obj.reseller.partner_id}] if obj.reseller_id else []


class CartSerializer(_Ordered):
    id = serializers.UUIDField(source="public_id")
    creationTimestamp = serializers.DateTimeField(source="created_at")
    lastModifiedTimestamp = serializers.DateTimeField(source="updated_at")
    expirationTimestamp = serializers.DateTimeField(source="expires_at")
    lastModifiedUser = serializers.SerializerMethodField(help_text="The id of the user who created the cart "
                                                                   "(null for an application credential)")
    lineItems = CartLineItemSerializer(source="line_items.all", many=True)
    status = serializers.CharField(help_text="Active (editable, can be checked out) or Ordered")
    links = serializers.SerializerMethodField()
    attributes = AttributesField("Cart", etag=True)

    def get_lastModifiedUser(self, obj) -> str | None:
        return str(obj.created_by.public_id) if obj.created_by_id else None

    @extend_schema_field(CartLinksSerializer)
    def get_links(self, obj):
        return {"self": link(f"{_customer_path(obj.customer)}/carts/{obj.public_id}")}


class OrderLineItemLinksSerializer(serializers.Serializer):
    product = LinkSerializer()
    sku = LinkSerializer()
    availability = LinkSerializer()
    subscription = LinkSerializer(required=False, help_text="Once provisioned")


class OrderLineItemSerializer(serializers.Serializer):
    lineItemNumber = serializers.IntegerField(source="line_number")
    offerId = serializers.CharField(source="offer_id", help_text="The catalog item id")
    subscriptionId = serializers.SerializerMethodField(help_text="The Azure plan's subscription id, once provisioned")
    friendlyName = serializers.SerializerMethodField()
    quantity = serializers.IntegerField()
    transactionType = serializers.SerializerMethodField()
    partnerIdOnRecord = serializers.SerializerMethodField(help_text="The indirect reseller of record's PartnerID")
    links = serializers.SerializerMethodField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for key in ("subscriptionId", "partnerIdOnRecord"):
            if data[key] is None:
                data.pop(key)  # as Partner Center: only when there is one
        return data

    def _provisioned(self, obj):
        return obj.plan if obj.plan_id and obj.fulfilled else None

    def get_subscriptionId(self, obj) -> str | None:
        plan = self._provisioned(obj)
        return str(plan.public_id) if plan else None

    def get_friendlyName(self, obj) -> str:
        return obj.friendly_name or obj.availability.sku.title

    def get_transactionType(self, obj) -> str:
        return "New"

    def get_partnerIdOnRecord(self, obj) -> str | None:
        return obj.order.reseller.partner_id if obj.order.reseller_id else None

    @extend_schema_field(OrderLineItemLinksSerializer)
    def get_links(self, obj):
        links = _catalog_links(obj.offer_id, obj.order.customer.country_id)
        plan = self._provisioned(obj)
        if plan:
            links["subscription"] = link(f"{_customer_path(obj.order.customer)}/subscriptions/{plan.public_id}")
        return links


class OrderLinksSerializer(serializers.Serializer):
    provisioningStatus = LinkSerializer()
    self = LinkSerializer()


class OrderSerializer(_Ordered):
    id = serializers.UUIDField(source="public_id")
    alternateId = serializers.CharField(source="alternate_id")
    referenceCustomerId = serializers.UUIDField(source="customer.tenant_id")
    billingCycle = serializers.CharField(source="billing_cycle")
    currencyCode = serializers.CharField(source="currency")
    currencySymbol = serializers.SerializerMethodField()
    lineItems = OrderLineItemSerializer(source="line_items.all", many=True)
    creationDate = serializers.DateTimeField(source="created_at")
    status = serializers.CharField(help_text="pending, completed or failed")
    errorReason = serializers.CharField(source="error_reason", required=False,
                                        help_text="Extension: why provisioning failed (only when status is failed)")
    transactionType = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()
    attributes = StatusAttributesField("Order")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.status != "failed":
            data.pop("errorReason")
        return data

    def get_currencySymbol(self, obj) -> str:
        lines = list(obj.line_items.all())
        return lines[0].availability.currency_symbol if lines else ""

    def get_transactionType(self, obj) -> str:
        return "UserPurchase"

    @extend_schema_field(OrderLinksSerializer)
    def get_links(self, obj):
        path = f"{_customer_path(obj.customer)}/orders/{obj.public_id}"
        return {"provisioningStatus": link(f"{path}/provisioningstatus"), "self": link(path)}


class QuantityProvisioningSerializer(serializers.Serializer):
    quantity = serializers.IntegerField()
    status = serializers.CharField()


class OrderLineItemProvisioningStatusSerializer(_Ordered):
    orderLineItemId = serializers.IntegerField(source="line_number")
    lineItemNumber = serializers.IntegerField(source="line_number")
    status = serializers.SerializerMethodField(help_text="fulfilled or unfulfilled")
    quantityProvisioningInformation = serializers.SerializerMethodField()
    attributes = AttributesField("OrderLineItemProvisioningStatus")

    def get_status(self, obj) -> str:
        return "fulfilled" if obj.fulfilled else "unfulfilled"

    @extend_schema_field(QuantityProvisioningSerializer(many=True))
    def get_quantityProvisioningInformation(self, obj):
        return [{"quantity": obj.quantity, "status": self.get_status(obj)}]


class CartCheckoutResultSerializer(serializers.Serializer):
    orders = OrderSerializer(many=True)
    orderErrors = serializers.ListField(child=serializers.DictField(), help_text="Always empty: a refused checkout "
                                                                               "is an error answer, nothing is ordered")
    attributes = serializers.DictField()


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

    @extend_schema_field(CartLinksSerializer)
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


class AzureRoleSerializer(_Ordered):
    name = serializers.CharField()
    pecEligible = serializers.BooleanField(source="pec_eligible")
    attributes = AttributesField("AzureRole")


# ---------------------------------------------------------------- input (any casing; rules in services)


def _text(**kwargs):
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, **kwargs)


def _number(**kwargs):
    return serializers.IntegerField(required=False, allow_null=True, **kwargs)


class ParticipantInputSerializer(PCSerializer):
    key = serializers.CharField(help_text="transaction_reseller")
    value = _text(help_text="The indirect reseller's PartnerID")


class CartLineItemInputSerializer(PCSerializer):
    id = _number(help_text="Ignored: the server numbers the lines")
    catalogItemId = _text(help_text="{productId}:{skuId}:{availabilityId}, e.g. DZH318Z0BPS6:0001:DZH318Z0BML6")
    quantity = _number(help_text="1 for the Azure plan")
    friendlyName = _text(help_text="None for the Azure plan (rename it once active)")
    billingCycle = _text(help_text="one_time (the default)")
    participants = ParticipantInputSerializer(many=True, required=False, allow_null=True,
                                              help_text="Indirect providers: [{key: transaction_reseller, value: "
                                                        "<PartnerID>}]")


class CartInputSerializer(PCSerializer):
    """Also the body of PUT (the whole cart): properties other than lineItems are ignored."""

    lineItems = CartLineItemInputSerializer(many=True, required=False, allow_null=True)


class OrderLineItemInputSerializer(PCSerializer):
    lineItemNumber = _number()
    offerId = _text(help_text="The catalog item id, e.g. DZH318Z0BPS6:0001:DZH318Z0BML6")
    quantity = _number()
    friendlyName = _text()
    partnerIdOnRecord = _text(help_text="Indirect providers: the indirect reseller's PartnerID")


class OrderInputSerializer(PCSerializer):
    lineItems = OrderLineItemInputSerializer(many=True, required=False, allow_null=True)
    billingCycle = _text(help_text="one_time (the default) for every line")
    currencyCode = _text(help_text="Accepted and ignored: the currency is the customer's country's")


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
