"""/v1/customers/{id}/carts and /orders. The customer is found first (foreign, unknown or malformed: 404 1000),
then the cart or order under it (unknown: 800008 / 20000). Bodies are read in any casing and handed to
azureplan.ordering.services, where every rule and its error code lives."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.idempotency import idempotent
from core.api.pagination import collection, seek_page
from core.api.schema import (
    CONTINUATION,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    REQUEST_ID,
    SEEK,
    SIZE,
    collection_schema,
    pc_schema,
)
from core.errors import InvalidInput

from ...plans.api.views import CUSTOMER_ID, PlanView, query_params
from .. import selectors, services
from .serializers import (
    CartCheckoutResultSerializer,
    CartInputSerializer,
    CartSerializer,
    OrderInputSerializer,
    OrderLineItemProvisioningStatusSerializer,
    OrderSerializer,
)

ORDERING_TAGS = ["Carts and orders"]
CART_ID = OpenApiParameter("cart_id", str, OpenApiParameter.PATH, description="The cart id")
ORDER_ID = OpenApiParameter("order_id", str, OpenApiParameter.PATH, description="The order id (or its alternateId)")
LINE_ERRORS = ("400: 800002 (malformed body or catalogItemId / offerId, named in parameters.field), 800009 (a line "
               "breaks a rule: quantity other than 1, a friendly name over 128 characters, the legacy Azure offer, a "
               "billing cycle the SKU does not support, an indirect provider without or with a foreign "
               "transaction_reseller; parameters.lineItem names it), 800070 (the catalog item is not sold in the "
               "customer's country); 403: 2032 (role); 404: 1000 (customer), 400013 / 400018 / 400019 (product / "
               "SKU / availability of catalogItemId unknown).")
PURCHASE_ERRORS = ("403: 20002 (no reseller relationship), 13605 (Microsoft Customer Agreement not confirmed), "
                   "800066 (the customer already has an Azure plan with this reseller of record), 990050 (active "
                   "legacy Azure subscriptions: transition them instead).")


ORDERS = collection_schema("OrderCollection", OrderSerializer, paged=True)
PROVISIONING = collection_schema("OrderLineItemProvisioningStatusCollection", OrderLineItemProvisioningStatusSerializer)


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


class OrderingView(PlanView):
    """Finds the customer, then the cart or order under it, for the actor of the request."""

    def cart(self, request, customer_id, cart_id):
        return selectors.cart_get(actor=self.actor(request), customer=self.customer(request, customer_id),
                                  cart_id=cart_id)

    def order(self, request, customer_id, order_id):
        return selectors.order_get(actor=self.actor(request), customer=self.customer(request, customer_id),
                                   order_id=order_id)

    def cart_body(self, request, cart, status=200):
        cart = selectors.cart_get(actor=self.actor(request), customer=cart.customer, cart_id=cart.public_id)
        response = Response(CartSerializer(cart).data, status=status)
        if status == 201:
            response["Location"] = f"/v1/customers/{cart.customer.tenant_id}/carts/{cart.public_id}"
        return response

    def order_data(self, request, order):
        order = selectors.order_get(actor=self.actor(request), customer=order.customer, order_id=order.public_id)
        return OrderSerializer(order).data


# ---------------------------------------------------------------- carts


class CartCreateView(OrderingView):
    required_permissions = {"POST": Perm.PURCHASE}

    @pc_schema(ok=CartSerializer, ok_status=201, request=CartInputSerializer, errors=(400, 401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID, REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Create a cart (the Azure plan: catalogItemId DZH318Z0BPS6:0001:{availabilityId}, quantity 1, "
                       "billingCycle one_time in any case, optional friendlyName: the plan's name)",
               description=LINE_ERRORS + " The purchase rules (relationship, agreement, one plan) are checked at "
                                         "checkout.",
               tags=ORDERING_TAGS, operation_id="customers_carts_create")
    @idempotent
    def post(self, request, customer_id):
        customer = self.customer(request, customer_id)
        data = self.validated(CartInputSerializer, request)
        cart = services.cart_create(actor=self.actor(request), customer=customer, items=_cart_items(data))
        # Answered from the rows as written (the service keeps its line items), not read again.
        if cart.created_by_id and getattr(request.user, "pk", None) == cart.created_by_id:
            cart.created_by = request.user
        response = Response(CartSerializer(cart).data, status=201)
        response["Location"] = f"/v1/customers/{cart.customer.tenant_id}/carts/{cart.public_id}"
        return response


class CartDetailView(OrderingView):
    required_permissions = {"PUT": Perm.PURCHASE}

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


class CartCheckoutView(OrderingView):
    required_permissions = {"POST": Perm.PURCHASE}

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
        actor = self.actor(request)
        cart = selectors.cart_ref(actor=actor, customer=self.customer(request, customer_id), cart_id=cart_id)
        orders = services.cart_checkout(actor=actor, cart=cart)
        # The orders as the checkout wrote them (pending, with their lines, plans and catalog rows): not read again.
        body = {"orders": [OrderSerializer(order).data for order in orders], "orderErrors": [],
                "attributes": {"objectType": "CartCheckoutResult"}}
        return Response(body, status=201)


# ---------------------------------------------------------------- orders


class OrderListView(OrderingView):
    required_permissions = {"POST": Perm.PURCHASE}

    @pc_schema(ok=ORDERS, errors=(400, 401, 403, 404, 429),
               parameters=[CUSTOMER_ID, SIZE, SEEK, CONTINUATION,
                           OpenApiParameter("billingType", str, description="Only orders of this billing cycle, e.g. "
                                                                            "one_time")],
               summary="The customer's orders, newest first (seek paging, as customers)", tags=ORDERING_TAGS,
               operation_id="customers_orders_list")
    def get(self, request, customer_id):
        customer = self.customer(request, customer_id)
        cycle = query_params(request).get("billingtype", "")
        orders = selectors.order_list(actor=self.actor(request), customer=customer, billing_cycle=cycle)
        rows, token = seek_page(request, orders, ordering=selectors.ORDER_ORDERING,
                                scope=f"orders:{customer.pk}:{cycle.strip().lower()}")
        return Response(collection(OrderSerializer(rows, many=True).data, request, next_token=token))

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


class OrderDetailView(OrderingView):
    @pc_schema(ok=OrderSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, ORDER_ID],
               summary="One order (status pending, completed or failed with errorReason)",
               description="404: 1000 (customer), 20000 (order).", tags=ORDERING_TAGS,
               operation_id="customers_orders_retrieve")
    def get(self, request, customer_id, order_id):
        return Response(OrderSerializer(self.order(request, customer_id, order_id)).data)


class OrderProvisioningStatusView(OrderingView):
    @pc_schema(ok=PROVISIONING, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, ORDER_ID],
               summary="Provisioning status of each line of an order (fulfilled / unfulfilled)",
               description="404: 1000 (customer), 20000 (order).", tags=ORDERING_TAGS,
               operation_id="customers_orders_provisioningstatus_list")
    def get(self, request, customer_id, order_id):
        order = self.order(request, customer_id, order_id)
        data = OrderLineItemProvisioningStatusSerializer(order.line_items.all(), many=True).data
        return Response(collection(data, request))
