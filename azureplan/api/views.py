"""/v1/products and /v1/customers/{id}/products: the catalog, shaped like Partner Center's (api reference §8).

Views parse the query (names and values in any case) and call azureplan.selectors, where the rules and
errors live: country and targetView required (400 800002 naming the missing one), targetView unknown
(403 400036), targetSegment other than commercial (403 400030), product / SKU / availability not sold in
the country (404 400013 / 400018 / 400019). Reads need Perm.VIEW_AZURE_PLAN (Global admin, Admin agent,
Sales agent). The customer-scoped routes take the country from the customer, found first through
customers.selectors.customer_get: a foreign, unknown or malformed customer id answers 404 (1000).
Collections are unpaged, with links.self only, as Partner Center's.
"""

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from core.api.etag import check_etag
from core.api.idempotency import idempotent
from core.api.pagination import collection
from core.api.schema import IDEMPOTENCY_KEY, IF_MATCH, REQUEST_ID, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput, NotFound
from customers.selectors import customer_get

from .. import legacy_selectors, selectors, services
from ..choices import Segment, TargetView
from ..models import LegacySubscription
from .legacy_serializers import LegacySubscriptionSerializer
from .serializers import (
    AvailabilitySerializer,
    AzureEntitlementCancelSerializer,
    AzureEntitlementCreateSerializer,
    AzureEntitlementPatchSerializer,
    AzureEntitlementSerializer,
    AzureRoleSerializer,
    CartCheckoutResultSerializer,
    CartInputSerializer,
    CartSerializer,
    OrderInputSerializer,
    OrderLineItemProvisioningStatusSerializer,
    OrderSerializer,
    ProductSerializer,
    RoleAssignmentInputSerializer,
    RoleAssignmentSerializer,
    SkuSerializer,
    SubscriptionPatchSerializer,
    SubscriptionSerializer,
)

TAGS = ["Catalog"]
COUNTRY = OpenApiParameter("country", str, required=True,
                           description="ISO 3166 alpha-2 country code of the customer, e.g. US")
TARGET_VIEW = OpenApiParameter("targetView", str, required=True, enum=TargetView.values,
                               description="MicrosoftAzure lists the Azure plan and the legacy Azure offer; the other "
                                           "Partner Center views answer an empty collection here")
TARGET_SEGMENT = OpenApiParameter("targetSegment", str, enum=Segment.values,
                                  description="Default commercial, the only segment sold (others: 403 400030)")
RESERVATION_SCOPE = OpenApiParameter("reservationScope", str, enum=["AzurePlan"],
                                     description="Accepted for Partner Center clients; no reservation products are sold")
CUSTOMER_ID = OpenApiParameter("customer_id", str, OpenApiParameter.PATH,
                               description="The customer's tenant id: the country is the customer's")
PRODUCT_ID = OpenApiParameter("product_id", str, OpenApiParameter.PATH, description="e.g. DZH318Z0BPS6 (Azure plan)")
SKU_ID = OpenApiParameter("sku_id", str, OpenApiParameter.PATH, description="e.g. 0001")
AVAILABILITY_ID = OpenApiParameter("availability_id", str, OpenApiParameter.PATH,
                                   description="e.g. DZH318Z0BML6 (Azure plan, US)")

LIST_ERRORS = ("400: 800002 (country or targetView missing or invalid, named in parameters.field); "
               "403: 400036 (targetView unknown), 400030 (targetSegment not commercial), 2032 (role).")
PRODUCT_ERRORS = "404: 400013 (the product is not sold in the country)."
SKU_ERRORS = "404: 400013 (product), 400018 (the SKU is not sold in the country)."
AVAILABILITY_ERRORS = "404: 400013 (product), 400018 (SKU), 400019 (availability id unknown in the country)."


def _collection_schema(name, item):
    return inline_serializer(name, fields={
        "totalCount": serializers.IntegerField(),
        "items": item(many=True),
        "links": serializers.DictField(),
        "attributes": serializers.DictField(),
    })


PRODUCTS = _collection_schema("ProductCollection", ProductSerializer)
SKUS = _collection_schema("SkuCollection", SkuSerializer)
AVAILABILITIES = _collection_schema("AvailabilityCollection", AvailabilitySerializer)


class CatalogView(PCAPIView):
    """Query values matched by name in any case (`country`, `Country`, `COUNTRY`)."""

    def query(self, request):
        params = {key.lower(): value for key, value in request.query_params.items()}
        scope = (params.get("reservationscope") or "").strip()
        if scope and scope.lower() != "azureplan":
            raise InvalidInput("reservationScope can only be AzurePlan.", field="reservationScope")
        return params

    def country(self, request, customer_id=None):
        """The country code: the customer's on customer-scoped routes (found first: foreign ids are 404)."""
        if customer_id is not None:
            return customer_get(actor=self.actor(request), tenant_id=customer_id).country_id
        return self.query(request).get("country")

    def context(self, request, country, segment=None):
        """For the links; called once the selector accepted `country` (a code: strip and upper-case it)."""
        return {"country": country.strip().upper(), "segment": (segment or "").strip() or None}

    def products(self, request, country):
        params = self.query(request)
        products = selectors.product_list(actor=self.actor(request), country=country,
                                          target_view=params.get("targetview"),
                                          target_segment=params.get("targetsegment"))
        data = ProductSerializer(products, many=True, context=self.context(request, country)).data
        return Response(collection(data, request))

    def product(self, request, country, product_id):
        product = selectors.product_get(actor=self.actor(request), product_id=product_id, country=country)
        return Response(ProductSerializer(product, context=self.context(request, country)).data)

    def skus(self, request, country, product_id):
        segment = self.query(request).get("targetsegment")
        skus = selectors.sku_list(actor=self.actor(request), product_id=product_id, country=country,
                                  target_segment=segment)
        data = SkuSerializer(skus, many=True, context=self.context(request, country, segment)).data
        return Response(collection(data, request))

    def sku(self, request, country, product_id, sku_id):
        sku = selectors.sku_get(actor=self.actor(request), product_id=product_id, sku_id=sku_id, country=country)
        return Response(SkuSerializer(sku, context=self.context(request, country)).data)

    def availabilities(self, request, country, product_id, sku_id):
        segment = self.query(request).get("targetsegment")
        rows = selectors.availability_list(actor=self.actor(request), product_id=product_id, sku_id=sku_id,
                                           country=country, target_segment=segment)
        data = AvailabilitySerializer(rows, many=True, context=self.context(request, country, segment)).data
        return Response(collection(data, request))

    def availability(self, request, country, product_id, sku_id, availability_id):
        row = selectors.availability_get(actor=self.actor(request), product_id=product_id, sku_id=sku_id,
                                         availability_id=availability_id, country=country)
        return Response(AvailabilitySerializer(row, context=self.context(request, country)).data)


# ---------------------------------------------------------------- /v1/products


class ProductListView(CatalogView):
    @pc_schema(ok=PRODUCTS, errors=(400, 401, 403, 429),
               parameters=[COUNTRY, TARGET_VIEW, TARGET_SEGMENT, RESERVATION_SCOPE],
               summary="Products sold in a country for a target view", description=LIST_ERRORS, tags=TAGS,
               operation_id="products_list")
    def get(self, request):
        return self.products(request, self.country(request))


class ProductDetailView(CatalogView):
    @pc_schema(ok=ProductSerializer, errors=(400, 401, 403, 404, 429),
               parameters=[PRODUCT_ID, COUNTRY, RESERVATION_SCOPE], summary="One product, as sold in a country",
               description=PRODUCT_ERRORS, tags=TAGS, operation_id="products_retrieve")
    def get(self, request, product_id):
        return self.product(request, self.country(request), product_id)


class SkuListView(CatalogView):
    @pc_schema(ok=SKUS, errors=(400, 401, 403, 404, 429),
               parameters=[PRODUCT_ID, COUNTRY, TARGET_SEGMENT, RESERVATION_SCOPE],
               summary="A product's SKUs sold in a country", description=PRODUCT_ERRORS, tags=TAGS,
               operation_id="products_skus_list")
    def get(self, request, product_id):
        return self.skus(request, self.country(request), product_id)


class SkuDetailView(CatalogView):
    @pc_schema(ok=SkuSerializer, errors=(400, 401, 403, 404, 429),
               parameters=[PRODUCT_ID, SKU_ID, COUNTRY, RESERVATION_SCOPE], summary="One SKU, as sold in a country",
               description=SKU_ERRORS, tags=TAGS, operation_id="products_skus_retrieve")
    def get(self, request, product_id, sku_id):
        return self.sku(request, self.country(request), product_id, sku_id)


class AvailabilityListView(CatalogView):
    @pc_schema(ok=AVAILABILITIES, errors=(400, 401, 403, 404, 429),
               parameters=[PRODUCT_ID, SKU_ID, COUNTRY, TARGET_SEGMENT, RESERVATION_SCOPE],
               summary="A SKU's availabilities in a country (catalogItemId, currency, isPurchasable)",
               description=SKU_ERRORS, tags=TAGS, operation_id="products_skus_availabilities_list")
    def get(self, request, product_id, sku_id):
        return self.availabilities(request, self.country(request), product_id, sku_id)


class AvailabilityDetailView(CatalogView):
    @pc_schema(ok=AvailabilitySerializer, errors=(400, 401, 403, 404, 429),
               parameters=[PRODUCT_ID, SKU_ID, AVAILABILITY_ID, COUNTRY], summary="One availability in a country",
               description=AVAILABILITY_ERRORS, tags=TAGS, operation_id="products_skus_availabilities_retrieve")
    def get(self, request, product_id, sku_id, availability_id):
        return self.availability(request, self.country(request), product_id, sku_id, availability_id)


# ---------------------------------------------------------------- /v1/customers/{id}/products


class CustomerProductListView(CatalogView):
    @pc_schema(ok=PRODUCTS, errors=(400, 401, 403, 404, 429),
               parameters=[CUSTOMER_ID, TARGET_VIEW, TARGET_SEGMENT, RESERVATION_SCOPE],
               summary="Products sold in the customer's country for a target view",
               description=LIST_ERRORS + " 404: 1000 (customer).", tags=TAGS, operation_id="customers_products_list")
    def get(self, request, customer_id):
        return self.products(request, self.country(request, customer_id))


class CustomerProductDetailView(CatalogView):
    @pc_schema(ok=ProductSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, PRODUCT_ID],
               summary="One product, as sold in the customer's country", description=PRODUCT_ERRORS, tags=TAGS,
               operation_id="customers_products_retrieve")
    def get(self, request, customer_id, product_id):
        return self.product(request, self.country(request, customer_id), product_id)


class CustomerSkuListView(CatalogView):
    @pc_schema(ok=SKUS, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, PRODUCT_ID, TARGET_SEGMENT],
               summary="A product's SKUs sold in the customer's country", description=PRODUCT_ERRORS, tags=TAGS,
               operation_id="customers_products_skus_list")
    def get(self, request, customer_id, product_id):
        return self.skus(request, self.country(request, customer_id), product_id)


class CustomerSkuDetailView(CatalogView):
    @pc_schema(ok=SkuSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, PRODUCT_ID, SKU_ID],
               summary="One SKU, as sold in the customer's country", description=SKU_ERRORS, tags=TAGS,
               operation_id="customers_products_skus_retrieve")
    def get(self, request, customer_id, product_id, sku_id):
        return self.sku(request, self.country(request, customer_id), product_id, sku_id)


class CustomerAvailabilityListView(CatalogView):
    @pc_schema(ok=AVAILABILITIES, errors=(401, 403, 404, 429),
               parameters=[CUSTOMER_ID, PRODUCT_ID, SKU_ID, TARGET_SEGMENT],
               summary="A SKU's availabilities in the customer's country", description=SKU_ERRORS, tags=TAGS,
               operation_id="customers_products_skus_availabilities_list")
    def get(self, request, customer_id, product_id, sku_id):
        return self.availabilities(request, self.country(request, customer_id), product_id, sku_id)


class CustomerAvailabilityDetailView(CatalogView):
    @pc_schema(ok=AvailabilitySerializer, errors=(401, 403, 404, 429),
               parameters=[CUSTOMER_ID, PRODUCT_ID, SKU_ID, AVAILABILITY_ID],
               summary="One availability in the customer's country", description=AVAILABILITY_ERRORS, tags=TAGS,
               operation_id="customers_products_skus_availabilities_retrieve")
    def get(self, request, customer_id, product_id, sku_id, availability_id):
        return self.availability(request, self.country(request, customer_id), product_id, sku_id, availability_id)


# ---------------------------------------------------------------- ordering and the Azure plan
#
# /v1/customers/{id}/carts, /orders, /subscriptions (the Azure plan), .../azureEntitlements (its Azure
# subscriptions), their role assignments (extension) and /v1/azureRoles (extension). The customer is found
# first (foreign, unknown or malformed: 404 1000), then the resource under it (unknown: Partner Center's code
# for it: cart 800008, order 20000, subscription 20003, Azure entitlement 800111). Bodies are read in any
# casing and handed to azureplan.services, where every rule and its error code lives.

ORDERING_TAGS = ["Carts and orders"]
PLAN_TAGS = ["Subscriptions (Azure plan)"]
ENTITLEMENT_TAGS = ["Azure entitlements"]
CART_ID = OpenApiParameter("cart_id", str, OpenApiParameter.PATH, description="The cart id")
ORDER_ID = OpenApiParameter("order_id", str, OpenApiParameter.PATH, description="The order id (or its alternateId)")
SUBSCRIPTION_ID = OpenApiParameter("subscription_id", str, OpenApiParameter.PATH,
                                   description="The Azure plan's subscription id")
ENTITLEMENT_ID = OpenApiParameter("entitlement_id", str, OpenApiParameter.PATH,
                                  description="The Azure subscription id (Azure entitlement id)")
ASSIGNMENT_ID = OpenApiParameter("assignment_id", str, OpenApiParameter.PATH, description="The role assignment id")

LINE_ERRORS = ("400: 800002 (malformed body or catalogItemId / offerId, named in parameters.field), 800009 (a line "
               "breaks a rule: quantity other than 1, a friendly name for the Azure plan, the legacy Azure offer, a "
               "billing cycle the SKU does not support, an indirect provider without or with a foreign "
               "transaction_reseller; parameters.lineItem names it), 800070 (the catalog item is not sold in the "
               "customer's country); 403: 2032 (role); 404: 1000 (customer), 400013 / 400018 / 400019 (product / "
               "SKU / availability of catalogItemId unknown).")
PURCHASE_ERRORS = ("403: 20002 (no reseller relationship), 13605 (Microsoft Customer Agreement not confirmed), "
                   "800066 (the customer already has an Azure plan with this reseller of record), 900128 (active "
                   "legacy Azure subscriptions: transition them instead).")


ORDERS = _collection_schema("OrderCollection", OrderSerializer)
PROVISIONING = _collection_schema("OrderLineItemProvisioningStatusCollection", OrderLineItemProvisioningStatusSerializer)
ENTITLEMENTS = _collection_schema("AzureEntitlementCollection", AzureEntitlementSerializer)
ROLE_ASSIGNMENTS = _collection_schema("RoleAssignmentCollection", RoleAssignmentSerializer)
AZURE_ROLES = _collection_schema("AzureRoleCollection", AzureRoleSerializer)


def _params(request):
    return {key.lower(): value for key, value in request.query_params.items()}


def _transaction_reseller(participants, index):
    """participants [{key: transaction_reseller, value: <PartnerID>}] -> the PartnerID (None when absent)."""
    field = f"lineItems[{index}].participants"
    resellers = []
    if participants is not None and not isinstance(participants, list):
        raise InvalidInput(f"{field} must be a list of {{key, value}} objects.", field=field)
    for participant in participants or []:
        if not isinstance(participant, dict) or not isinstance(participant.get("key"), str):
            raise InvalidInput(f"{field} must be a list of {{key, value}} objects.", field=field)
        if participant["key"].strip().lower() != "transaction_reseller":
            raise InvalidInput(f"{field}: only the key transaction_reseller is supported (the indirect reseller of "
                               "record's PartnerID).", field=field)
        resellers.append(participant.get("value"))
    if len(resellers) > 1:
        raise InvalidInput(f"{field}: name one transaction_reseller.", field=field)
    return resellers[0] if resellers else None


def _cart_items(data):
    """Validated cart lines -> the items of services.cart_create / cart_update (None: lineItems missing)."""
    lines = data.get("lineItems")
    if lines is None:
        return None
    _require_objects(lines)
    return [{"catalog_item_id": line.get("catalogItemId"), "quantity": line.get("quantity"),
             "friendly_name": line.get("friendlyName"), "billing_cycle": line.get("billingCycle"),
             "reseller": _transaction_reseller(line.get("participants"), index)}
            for index, line in enumerate(lines)]


def _require_objects(lines):
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            raise InvalidInput(f"lineItems[{index}] must be an object.", field=f"lineItems[{index}]")


def _order_items(data):
    lines = data.get("lineItems")
    if lines is None:
        return None
    _require_objects(lines)
    return [{"catalog_item_id": line.get("offerId"), "quantity": line.get("quantity"),
             "friendly_name": line.get("friendlyName"), "billing_cycle": data.get("billingCycle"),
             "reseller": line.get("partnerIdOnRecord")} for line in lines]


def _include_removed(params):
    raw = (params.get("includeremoved") or "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise InvalidInput("includeRemoved must be true or false.", field="includeRemoved")


class CommerceView(PCAPIView):
    """Finds the customer, then the resource under it, for the actor of the request."""

    def customer(self, request, customer_id):
        return customer_get(actor=self.actor(request), tenant_id=customer_id)

    def cart(self, request, customer_id, cart_id):
        return selectors.cart_get(actor=self.actor(request), customer=self.customer(request, customer_id),
                                  cart_id=cart_id)

    def order(self, request, customer_id, order_id):
        return selectors.order_get(actor=self.actor(request), customer=self.customer(request, customer_id),
                                   order_id=order_id)

    def plan(self, request, customer_id, subscription_id):
        return selectors.plan_get(actor=self.actor(request), customer=self.customer(request, customer_id),
                                  subscription_id=subscription_id)

    def entitlement(self, request, customer_id, subscription_id, entitlement_id):
        return selectors.azure_subscription_get(actor=self.actor(request),
                                                plan=self.plan(request, customer_id, subscription_id),
                                                entitlement_id=entitlement_id)

    def cart_body(self, request, cart, status=200):
        cart = selectors.cart_get(actor=self.actor(request), customer=cart.customer, cart_id=cart.public_id)
        response = Response(CartSerializer(cart).data, status=status)
        if status == 201:
            response["Location"] = f"/v1/customers/{cart.customer.tenant_id}/carts/{cart.public_id}"
        return response

    def order_data(self, request, order):
        order = selectors.order_get(actor=self.actor(request), customer=order.customer, order_id=order.public_id)
        return OrderSerializer(order).data

    def entitlement_body(self, request, sub, status=200):
        sub = selectors.azure_subscription_get(actor=self.actor(request), plan=sub.plan,
                                               entitlement_id=sub.subscription_id)
        data = AzureEntitlementSerializer(sub).data
        response = Response(data, status=status)
        if status in (201, 202):
            response["Location"] = "/v1" + data["links"]["self"]["uri"]
        return response


# ---------------------------------------------------------------- carts


class CartCreateView(CommerceView):
    @pc_schema(ok=CartSerializer, ok_status=201, request=CartInputSerializer, errors=(400, 401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Create a cart (the Azure plan: catalogItemId DZH318Z0BPS6:0001:{availabilityId}, quantity 1, "
                       "billingCycle one_time, no friendlyName)",
               description=LINE_ERRORS + " The purchase rules (relationship, agreement, one plan) are checked at "
                                         "checkout.",
               tags=ORDERING_TAGS, operation_id="customers_carts_create")
    @idempotent
    def post(self, request, customer_id):
        customer = self.customer(request, customer_id)
        data = self.validated(CartInputSerializer, request)
        cart = services.cart_create(actor=self.actor(request), customer=customer, items=_cart_items(data))
        return self.cart_body(request, cart, status=201)


class CartDetailView(CommerceView):
    @pc_schema(ok=CartSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, CART_ID],
               summary="One cart", description="404: 1000 (customer), 800008 (cart).", tags=ORDERING_TAGS,
               operation_id="customers_carts_retrieve")
    def get(self, request, customer_id, cart_id):
        return Response(CartSerializer(self.cart(request, customer_id, cart_id)).data)

    @pc_schema(ok=CartSerializer, request=CartInputSerializer, errors=(400, 401, 403, 404, 412, 429),
               parameters=[CUSTOMER_ID, CART_ID, IF_MATCH],
               summary="Replace a cart's line items (the whole cart, as read; other properties are ignored)",
               description=LINE_ERRORS + " 404: 800008 (cart); 400: 800065 (the cart was checked out); 412: 2055 "
                                         "(If-Match stale).",
               tags=ORDERING_TAGS, operation_id="customers_carts_update")
    def put(self, request, customer_id, cart_id):
        cart = self.cart(request, customer_id, cart_id)
        data = self.validated(CartInputSerializer, request)
        cart = services.cart_update(actor=self.actor(request), cart=cart, items=_cart_items(data),
                                    expected_etag=self.if_match(request))
        return self.cart_body(request, cart)


class CartCheckoutView(CommerceView):
    @pc_schema(ok=CartCheckoutResultSerializer, ok_status=201, errors=(400, 401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, CART_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Check out a cart: one order per order group (reseller of record), provisioned in the "
                       "background (poll the order)",
               description="No body. A retry with the same MS-RequestId replays the answer. 400: 800065 (already "
                           "checked out); 409: 800064 (another checkout of this cart is running); 404: 800008 "
                           "(cart unknown or expired). " + PURCHASE_ERRORS,
               tags=ORDERING_TAGS, operation_id="customers_carts_checkout_create")
    @idempotent
    def post(self, request, customer_id, cart_id):
        cart = self.cart(request, customer_id, cart_id)
        orders = services.cart_checkout(actor=self.actor(request), cart=cart)
        body = {"orders": [self.order_data(request, order) for order in orders], "orderErrors": [],
                "attributes": {"objectType": "CartCheckoutResult"}}
        return Response(body, status=201)


# ---------------------------------------------------------------- orders


class OrderListView(CommerceView):
    @pc_schema(ok=ORDERS, errors=(400, 401, 403, 404, 429),
               parameters=[CUSTOMER_ID, OpenApiParameter("billingType", str, description="Only orders of this billing "
                                                                                         "cycle, e.g. one_time")],
               summary="The customer's orders, newest first (unpaged)", tags=ORDERING_TAGS,
               operation_id="customers_orders_list")
    def get(self, request, customer_id):
        customer = self.customer(request, customer_id)
        orders = selectors.order_list(actor=self.actor(request), customer=customer,
                                      billing_cycle=_params(request).get("billingtype", ""))
        return Response(collection(OrderSerializer(orders, many=True).data, request))

    @pc_schema(ok=OrderSerializer, ok_status=201, request=OrderInputSerializer, errors=(400, 401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Order without a cart (one reseller of record per order); provisioned in the background",
               description=LINE_ERRORS.replace("catalogItemId", "offerId") + " " + PURCHASE_ERRORS,
               tags=ORDERING_TAGS, operation_id="customers_orders_create")
    @idempotent
    def post(self, request, customer_id):
        customer = self.customer(request, customer_id)
        data = self.validated(OrderInputSerializer, request)
        order = services.order_create(actor=self.actor(request), customer=customer, items=_order_items(data))
        response = Response(self.order_data(request, order), status=201)
        response["Location"] = f"/v1/customers/{customer.tenant_id}/orders/{order.public_id}"
        return response


class OrderDetailView(CommerceView):
    @pc_schema(ok=OrderSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, ORDER_ID],
               summary="One order (status pending, completed or failed with errorReason)",
               description="404: 1000 (customer), 20000 (order).", tags=ORDERING_TAGS,
               operation_id="customers_orders_retrieve")
    def get(self, request, customer_id, order_id):
        return Response(OrderSerializer(self.order(request, customer_id, order_id)).data)


class OrderProvisioningStatusView(CommerceView):
    @pc_schema(ok=PROVISIONING, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, ORDER_ID],
               summary="Provisioning status of each line of an order (fulfilled / unfulfilled)",
               description="404: 1000 (customer), 20000 (order).", tags=ORDERING_TAGS,
               operation_id="customers_orders_provisioningstatus_list")
    def get(self, request, customer_id, order_id):
        order = self.order(request, customer_id, order_id)
        data = OrderLineItemProvisioningStatusSerializer(order.line_items.all(), many=True).data
        return Response(collection(data, request))


# ---------------------------------------------------------------- subscriptions (the Azure plan)


SUBSCRIPTION_OR_LEGACY = PolymorphicProxySerializer(
    component_name="SubscriptionOrLegacySubscription", resource_type_field_name=None,
    serializers=[SubscriptionSerializer, LegacySubscriptionSerializer])
CUSTOMER_SUBSCRIPTIONS = inline_serializer("CustomerSubscriptionCollection", fields={
    "totalCount": serializers.IntegerField(),
    "items": PolymorphicProxySerializer(component_name="SubscriptionOrLegacySubscriptionItem",
                                        resource_type_field_name=None,
                                        serializers=[SubscriptionSerializer, LegacySubscriptionSerializer], many=True),
    "links": serializers.DictField(),
    "attributes": serializers.DictField(),
})


def _legacy_filtered(rows, *, order_id="", partner_id=""):
    """Partner Center's order_id and mpn_id filters applied to the legacy subscriptions too."""
    order_id, partner_id = (order_id or "").strip().lower(), (partner_id or "").strip()
    if order_id:
        rows = [row for row in rows if str(row.order_id) == order_id]
    if partner_id:
        rows = [row for row in rows if row.reseller_id and row.reseller.partner_id == partner_id]
    return rows


class SubscriptionListView(CommerceView):
    @pc_schema(ok=CUSTOMER_SUBSCRIPTIONS, errors=(401, 403, 404, 429),
               parameters=[CUSTOMER_ID, OpenApiParameter("order_id", str, description="Only the order's subscriptions"),
                           OpenApiParameter("mpn_id", str, description="Only those of this reseller of record "
                                                                       "(PartnerID)")],
               summary="The customer's Azure plans and legacy Azure (MS-AZR-0145P) subscriptions as Partner Center "
                       "subscriptions (unpaged)",
               description="The Azure plans first, then the legacy subscriptions oldest first (suspended once moved "
                           "to the Azure plan; extensions transitionedAt, azurePlanId, azureSubscriptionId).",
               tags=PLAN_TAGS, operation_id="customers_subscriptions_list")
    def get(self, request, customer_id):
        customer = self.customer(request, customer_id)
        params = _params(request)
        order_id, partner_id = params.get("order_id", ""), params.get("mpn_id", "")
        plans = selectors.plan_list(actor=self.actor(request), customer=customer, order_id=order_id,
                                    partner_id=partner_id)
        legacy = _legacy_filtered(legacy_selectors.legacy_list(actor=self.actor(request), customer=customer),
                                  order_id=order_id, partner_id=partner_id)
        items = SubscriptionSerializer(plans, many=True).data + LegacySubscriptionSerializer(legacy, many=True).data
        return Response(collection(items, request))


class SubscriptionDetailView(CommerceView):
    def plan_or_legacy(self, request, customer_id, subscription_id):
        """The Azure plan, else the legacy subscription with this id (neither: 404 20003)."""
        from ..errors import SubscriptionNotFound

        customer = self.customer(request, customer_id)
        try:
            return selectors.plan_get(actor=self.actor(request), customer=customer, subscription_id=subscription_id)
        except SubscriptionNotFound as not_found:
            try:
                return legacy_selectors.legacy_get(actor=self.actor(request), customer=customer,
                                                   subscription_id=subscription_id)
            except NotFound:
                raise not_found from None

    @pc_schema(ok=SUBSCRIPTION_OR_LEGACY, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, SUBSCRIPTION_ID],
               summary="One Azure plan or legacy Azure subscription (attributes.etag for If-Match)",
               description="404: 1000 (customer), 20003 (subscription).", tags=PLAN_TAGS,
               operation_id="customers_subscriptions_retrieve")
    def get(self, request, customer_id, subscription_id):
        found = self.plan_or_legacy(request, customer_id, subscription_id)
        if isinstance(found, LegacySubscription):
            return Response(LegacySubscriptionSerializer(found).data)
        return Response(SubscriptionSerializer(found).data)

    @pc_schema(ok=SUBSCRIPTION_OR_LEGACY, request=SubscriptionPatchSerializer, errors=(400, 401, 403, 404, 412, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, IF_MATCH],
               summary="Rename, suspend or reactivate the Azure plan, or rename a legacy Azure subscription (the "
                       "whole subscription as read, or only friendlyName / status)",
               description="status active or suspended (a change needs Admin agent). 403: 900115 (suspending while "
                           "Azure subscriptions are active: cancel them first); 400: 800096 (status not changeable, "
                           "also any status change of a legacy subscription), 2011 (the plan was cancelled), 800002 "
                           "(friendlyName 1-128 characters; a legacy subscription already moved); 412: 2055. Renaming "
                           "a legacy subscription needs Global admin or Admin agent.",
               tags=PLAN_TAGS, operation_id="customers_subscriptions_partial_update")
    def patch(self, request, customer_id, subscription_id):
        found = self.plan_or_legacy(request, customer_id, subscription_id)
        data = self.validated(SubscriptionPatchSerializer, request)
        name, status = data.get("friendlyName"), data.get("status")
        if name is None and status is None:
            raise InvalidInput("Send friendlyName and/or status (the whole subscription as read is accepted).",
                               field="status")
        if isinstance(found, LegacySubscription):
            return self.legacy_patch(request, found, name, status)
        plan = services.plan_update(actor=self.actor(request), plan=found, expected_etag=self.if_match(request),
                                    friendly_name=name, status=status.strip().lower() if status is not None else None)
        return Response(SubscriptionSerializer(self.plan(request, customer_id, plan.public_id)).data)

    def legacy_patch(self, request, legacy, name, status):
        from ..legacy_services import legacy_rename

        if status is not None and status.strip().lower() != legacy.status:
            raise InvalidInput("The status of a legacy Azure subscription can't be changed here: transition it to the "
                               "Azure plan (POST /v1/productUpgrades).", code=800096,
                               error_name="SubscriptionStatusNotChangeable", field="status")
        if name is not None and name.strip() != legacy.friendly_name:
            legacy_rename(actor=self.actor(request), legacy=legacy, name=name, expected_etag=self.if_match(request))
        else:
            check_etag(legacy, self.if_match(request))
        legacy = legacy_selectors.legacy_get(actor=self.actor(request), customer=legacy.customer,
                                             subscription_id=legacy.public_id)
        return Response(LegacySubscriptionSerializer(legacy).data)


class SubscriptionCancelView(CommerceView):
    @pc_schema(ok=SubscriptionSerializer, errors=(401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Extension: cancel the Azure plan (Global admin; no active Azure subscription left)",
               description="No body. 403: 900115 (active Azure subscriptions), 2032 (role); 400: 800096 (already "
                           "cancelled).",
               tags=PLAN_TAGS, operation_id="customers_subscriptions_cancel_create")
    @idempotent
    def post(self, request, customer_id, subscription_id):
        plan = self.plan(request, customer_id, subscription_id)
        plan = services.plan_cancel(actor=self.actor(request), plan=plan)
        return Response(SubscriptionSerializer(self.plan(request, customer_id, plan.public_id)).data)


# ---------------------------------------------------------------- Azure entitlements (Azure subscriptions)


class AzureEntitlementListView(CommerceView):
    @pc_schema(ok=ENTITLEMENTS, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, SUBSCRIPTION_ID],
               summary="The Azure subscriptions of an Azure plan (unpaged; deleted ones included)",
               description="404: 1000 (customer), 20003 (subscription).", tags=ENTITLEMENT_TAGS,
               operation_id="customers_subscriptions_azureentitlements_list")
    def get(self, request, customer_id, subscription_id):
        plan = self.plan(request, customer_id, subscription_id)
        subs = selectors.azure_subscription_list(actor=self.actor(request), plan=plan)
        return Response(collection(AzureEntitlementSerializer(subs, many=True).data, request))

    @pc_schema(ok=AzureEntitlementSerializer, ok_status=201, request=AzureEntitlementCreateSerializer,
               errors=(400, 401, 403, 404, 409, 429), parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, REQUEST_ID,
                                                                   IDEMPOTENCY_KEY],
               summary="Extension: add an Azure subscription to an active plan (Admin agent; your Admin agents "
                       "group becomes Owner)",
               description="400: 800002 (friendlyName 1-64 characters), 800091 (the plan is not active), 800009 "
                           "(partnerIdOnRecord is not one of your resellers).",
               tags=ENTITLEMENT_TAGS, operation_id="customers_subscriptions_azureentitlements_create")
    @idempotent
    def post(self, request, customer_id, subscription_id):
        plan = self.plan(request, customer_id, subscription_id)
        data = self.validated(AzureEntitlementCreateSerializer, request)
        sub = services.azure_subscription_create(actor=self.actor(request), plan=plan, name=data.get("friendlyName"),
                                                 reseller=(data.get("partnerIdOnRecord") or "").strip() or None)
        return self.entitlement_body(request, sub, status=201)


class AzureEntitlementDetailView(CommerceView):
    @pc_schema(ok=AzureEntitlementSerializer, errors=(401, 403, 404, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, ENTITLEMENT_ID], summary="One Azure subscription of a plan",
               description="404: 1000 (customer), 20003 (subscription), 800111 (Azure entitlement).",
               tags=ENTITLEMENT_TAGS, operation_id="customers_subscriptions_azureentitlements_retrieve")
    def get(self, request, customer_id, subscription_id, entitlement_id):
        sub = self.entitlement(request, customer_id, subscription_id, entitlement_id)
        return Response(AzureEntitlementSerializer(sub).data)

    @pc_schema(ok=AzureEntitlementSerializer, request=AzureEntitlementPatchSerializer,
               errors=(400, 401, 403, 404, 412, 429), parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, ENTITLEMENT_ID, IF_MATCH],
               summary="Extension: rename an Azure subscription (Admin agent)",
               description="400: 800002 (friendlyName 1-64 characters); 404: 800111 (unknown or deleted); 412: 2055.",
               tags=ENTITLEMENT_TAGS, operation_id="customers_subscriptions_azureentitlements_partial_update")
    def patch(self, request, customer_id, subscription_id, entitlement_id):
        sub = self.entitlement(request, customer_id, subscription_id, entitlement_id)
        data = self.validated(AzureEntitlementPatchSerializer, request)
        sub = services.azure_subscription_rename(actor=self.actor(request), sub=sub, name=data.get("friendlyName"),
                                                 expected_etag=self.if_match(request))
        return self.entitlement_body(request, sub)


class AzureEntitlementCancelView(CommerceView):
    @pc_schema(ok=AzureEntitlementSerializer, ok_status=202, request=AzureEntitlementCancelSerializer,
               errors=(400, 401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, ENTITLEMENT_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Cancel an Azure subscription (deleted 90 days later unless reactivated)",
               description='Body {"cancellationReason": "compromise"}. Needs both Global admin and Admin agent '
                           "(403 2032 naming both). 400: 900307 (cancellationReason unknown), 800096 (not active).",
               tags=ENTITLEMENT_TAGS, operation_id="customers_subscriptions_azureentitlements_cancel_create")
    @idempotent
    def post(self, request, customer_id, subscription_id, entitlement_id):
        sub = self.entitlement(request, customer_id, subscription_id, entitlement_id)
        data = self.validated(AzureEntitlementCancelSerializer, request)
        reason = (data.get("cancellationReason") or "").strip().lower()
        sub = services.azure_subscription_cancel(actor=self.actor(request), sub=sub, reason=reason)
        return self.entitlement_body(request, sub, status=202)


class AzureEntitlementReactivateView(CommerceView):
    @pc_schema(ok=AzureEntitlementSerializer, ok_status=202, errors=(400, 401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, ENTITLEMENT_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Reactivate a cancelled Azure subscription within its 90 days",
               description="No body. Needs both Global admin and Admin agent. 400: 900337 (not cancelled, deleted, "
                           "or the plan is not active).",
               tags=ENTITLEMENT_TAGS, operation_id="customers_subscriptions_azureentitlements_reactivate_create")
    @idempotent
    def post(self, request, customer_id, subscription_id, entitlement_id):
        sub = self.entitlement(request, customer_id, subscription_id, entitlement_id)
        sub = services.azure_subscription_reactivate(actor=self.actor(request), sub=sub)
        return self.entitlement_body(request, sub, status=202)


class RoleAssignmentListView(CommerceView):
    @pc_schema(ok=ROLE_ASSIGNMENTS, errors=(400, 401, 403, 404, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, ENTITLEMENT_ID,
                           OpenApiParameter("includeRemoved", bool, description="Also the removed ones (removedAt)")],
               summary="Extension: the roles held on an Azure subscription (what partner earned credit depends on)",
               tags=ENTITLEMENT_TAGS, operation_id="customers_subscriptions_azureentitlements_roleassignments_list")
    def get(self, request, customer_id, subscription_id, entitlement_id):
        sub = self.entitlement(request, customer_id, subscription_id, entitlement_id)
        rows = selectors.role_assignment_list(actor=self.actor(request), sub=sub,
                                              include_removed=_include_removed(_params(request)))
        return Response(collection(RoleAssignmentSerializer(rows, many=True).data, request))

    @pc_schema(ok=RoleAssignmentSerializer, ok_status=201, request=RoleAssignmentInputSerializer,
               errors=(400, 401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, ENTITLEMENT_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Extension: assign an Azure role on the subscription or one of its resource groups (Admin "
                       "agent)",
               description="400: 800002 (principalType, principalId, principalName, roleName, resourceGroup or "
                           "partnerId invalid, or the principal already holds the role there), 800096 (the Azure "
                           "subscription is not active).",
               tags=ENTITLEMENT_TAGS, operation_id="customers_subscriptions_azureentitlements_roleassignments_create")
    @idempotent
    def post(self, request, customer_id, subscription_id, entitlement_id):
        sub = self.entitlement(request, customer_id, subscription_id, entitlement_id)
        data = self.validated(RoleAssignmentInputSerializer, request)
        assignment = services.role_assignment_add(
            actor=self.actor(request), sub=sub, principal_type=(data.get("principalType") or "").strip().lower(),
            principal_id=data.get("principalId"), principal_name=data.get("principalName"), role=data.get("roleName"),
            resource_group=data.get("resourceGroup") or "", partner=data.get("partnerId"))
        assignment = selectors.role_assignment_get(actor=self.actor(request), sub=sub, assignment_id=assignment.public_id)
        return Response(RoleAssignmentSerializer(assignment).data, status=201)


class RoleAssignmentRemoveView(CommerceView):
    @pc_schema(ok=RoleAssignmentSerializer, errors=(401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, ENTITLEMENT_ID, ASSIGNMENT_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Extension: remove a role assignment (kept with removedAt; removing twice is a no-op)",
               description="No body. 404: 1000 (unknown assignment).", tags=ENTITLEMENT_TAGS,
               operation_id="customers_subscriptions_azureentitlements_roleassignments_remove_create")
    @idempotent
    def post(self, request, customer_id, subscription_id, entitlement_id, assignment_id):
        sub = self.entitlement(request, customer_id, subscription_id, entitlement_id)
        assignment = selectors.role_assignment_get(actor=self.actor(request), sub=sub, assignment_id=assignment_id)
        services.role_assignment_remove(actor=self.actor(request), assignment=assignment)
        assignment = selectors.role_assignment_get(actor=self.actor(request), sub=sub, assignment_id=assignment_id)
        return Response(RoleAssignmentSerializer(assignment).data)


class AzureRoleListView(CommerceView):
    @pc_schema(ok=AZURE_ROLES, errors=(401, 403, 429),
               summary="Extension: Azure built-in roles and whether each earns partner earned credit",
               tags=ENTITLEMENT_TAGS, operation_id="azureroles_list")
    def get(self, request):
        return Response(collection(AzureRoleSerializer(selectors.azure_role_list(actor=self.actor(request)),
                                                       many=True).data, request))
