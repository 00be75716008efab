"""Cart, CartCheckoutResult, Order and OrderLineItemProvisioningStatus on the wire, as api reference §9-§10 and
Microsoft's samples print them, and their input (any casing; the rules are in azureplan.ordering.services)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import AttributesField, LinkSerializer, OptionalMethodField, PCSerializer, SelfLinkSerializer, link

from ...catalog.api.serializers import KeyValueSerializer, _Ordered
from ...plans.api.serializers import _catalog_links, _customer_path, _number, _text


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

    @extend_schema_field(SelfLinkSerializer)
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
    subscriptionId = OptionalMethodField(help_text="The Azure plan's subscription id, once provisioned")
    friendlyName = serializers.SerializerMethodField()
    quantity = serializers.IntegerField()
    transactionType = serializers.SerializerMethodField()
    partnerIdOnRecord = OptionalMethodField(help_text="The indirect reseller of record's PartnerID, only when there is "
                                                      "one")
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
    attributes = AttributesField("Order", etag=True)  # follows the status (Order.etag_field)

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


# ---------------------------------------------------------------- input

class ParticipantInputSerializer(PCSerializer):
    key = serializers.CharField(help_text="transaction_reseller")
    value = _text(help_text="The indirect reseller's PartnerID")


class CartLineItemInputSerializer(PCSerializer):
    id = _number(help_text="Ignored: the server numbers the lines")
    catalogItemId = _text(help_text="{productId}:{skuId}:{availabilityId}, e.g. DZH318Z0BPS6:0001:DZH318Z0BML6")
    quantity = _number(help_text="1 for the Azure plan")
    friendlyName = _text(help_text="The Azure plan's friendly name (optional, at most 128 characters)")
    billingCycle = _text(help_text="one_time (the default); any case, e.g. OneTime")
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
