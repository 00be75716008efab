"""/v1/products and /v1/customers/{id}/products (the catalog, api reference §8) and /v1/azureRoles (extension).

Views parse the query (names and values in any case) and call azureplan.catalog.selectors, where the rules and
errors live: country and targetView required (400 800002 naming the missing one), targetView unknown
(403 400036), targetSegment other than commercial (403 400030), product / SKU / availability not sold in
the country (404 400013 / 400018 / 400019). Reads need Perm.VIEW_AZURE_PLAN (Global admin, Admin agent,
Sales agent). The customer-scoped routes take the country from the customer, found first through
customers.selectors.customer_get: a foreign, unknown or malformed customer id answers 404 (1000).
Collections are unpaged, with links.self only, as Partner Center's.
"""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from core.api.pagination import collection
from core.api.schema import collection_schema, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput
from customers.selectors import customer_get

from ...choices import Segment, TargetView
from .. import selectors
from .serializers import (
    AvailabilitySerializer,
    AzureRoleSerializer,
    ProductSerializer,
    SkuSerializer,
)

TAGS = ["Catalog"]
ROLE_TAGS = ["Azure entitlements"]
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



AZURE_ROLES = collection_schema("AzureRoleCollection", AzureRoleSerializer)
PRODUCTS = collection_schema("ProductCollection", ProductSerializer)
SKUS = collection_schema("SkuCollection", SkuSerializer)
AVAILABILITIES = collection_schema("AvailabilityCollection", AvailabilitySerializer)


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


class AzureRoleListView(PCAPIView):
    @pc_schema(ok=AZURE_ROLES, errors=(401, 403, 429),
               summary="Extension: Azure built-in roles and whether each earns partner earned credit",
               tags=ROLE_TAGS, operation_id="azureroles_list")
    def get(self, request):
        return Response(collection(AzureRoleSerializer(selectors.azure_role_list(actor=self.actor(request)),
                                                       many=True).data, request))
