"""Partner Center's Product, Sku and Availability on the wire (api reference §8.1 and Microsoft's samples), and the
Azure roles (extension).

Links are relative and without /v1 and always name the country (`/products/{id}?country=US`), also in
the customer-scoped answers, as Microsoft's examples print them. The serializer context carries
`country` (the code) and, when the request named one, `segment` (added to the availabilities link).
"""

from urllib.parse import quote, urlencode

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import AttributesField, LinkSerializer, SelfLinkSerializer, link


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


class ProductLinksSerializer(serializers.Serializer):
    skus = LinkSerializer()
    self = LinkSerializer()


class SkuLinksSerializer(serializers.Serializer):
    availabilities = LinkSerializer()
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


class AzureRoleSerializer(_Ordered):
    name = serializers.CharField()
    pecEligible = serializers.BooleanField(source="pec_eligible")
    attributes = AttributesField("AzureRole")
