"""Every read of the catalog (products, SKUs and availabilities as sold in one country) and of the Azure roles.

The catalog is the same for every partner (not tenant data), so these selectors take no actor to
scope by. The pages and the API pass `actor` to check the role (Perm.VIEW_AZURE_PLAN: Global admin,
Admin agent, Sales agent, as Partner Center's Azure plan pages); services that already checked their
own permission (the ordering flow checks Perm.PURCHASE) call without it.

A product or SKU "exists in a country" when it has an availability there: elsewhere it answers
400013 / 400018, as Partner Center does for a country it is not sold in. Ids and query values are
matched case-insensitively.
"""

import re

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.models import Country
from accounts.permissions import Perm, require
from accounts.selectors import collation_key, countries_by_name
from core.errors import InvalidInput

from ..choices import SOLD_SEGMENTS, Segment, TargetView
from ..errors import (
    AvailabilityNotFound,
    OfferNotAvailableInCountry,
    ProductNotFound,
    SkuNotFound,
    TargetSegmentNotAllowed,
    TargetViewNotAllowed,
)
from ..models import Availability, OfferComparison, Product, Sku

COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


def _check(actor):
    if actor is not None:
        require(actor, Perm.VIEW_AZURE_PLAN)


def country_get(country, *, field="country") -> Country:
    """`country` (an ISO 3166 alpha-2 code in any case, or a Country) -> Country; 400 800002 naming `field`."""
    if isinstance(country, Country):
        return country
    code = (country or "").strip()
    if not code:
        raise InvalidInput(_("The %(field)s query parameter is required (an ISO 3166 two-letter country code, "
                             "e.g. US).") % {"field": field}, field=field)
    if not COUNTRY_CODE.match(code):
        raise InvalidInput(_("%(field)s must be an ISO 3166 two-letter country code, e.g. US.") % {"field": field},
                           field=field)
    try:
        return Country.objects.select_related("region").get(code=code.upper())
    except Country.DoesNotExist:
        raise InvalidInput(_("%(code)s is not a country or region Partner Center sells in.") % {"code": code.upper()},
                           field=field) from None


def target_view_parse(target_view, *, field="targetView") -> str:
    """A Partner Center targetView in any case -> its canonical spelling; missing 400 800002, unknown 403 400036."""
    raw = (target_view or "").strip()
    if not raw:
        raise InvalidInput(_("The targetView query parameter is required, e.g. targetView=MicrosoftAzure."),
                           field=field)
    for value in TargetView.values:
        if value.lower() == raw.lower():
            return value
    raise TargetViewNotAllowed(_("targetView %(value)s is not allowed. Use one of: %(values)s.")
                               % {"value": raw, "values": ", ".join(TargetView.values)},
                               parameters={"targetView": raw})


def target_segment_parse(target_segment, *, field="targetSegment") -> str:
    """None/empty -> commercial (the only segment sold here); any other segment is 403 400030."""
    raw = (target_segment or "").strip()
    if not raw:
        return Segment.COMMERCIAL
    for value in SOLD_SEGMENTS:
        if value.lower() == raw.lower():
            return value
    raise TargetSegmentNotAllowed(_("targetSegment %(value)s is not allowed: this partner sells in the %(sold)s "
                                    "segment only.") % {"value": raw, "sold": ", ".join(sorted(SOLD_SEGMENTS))},
                                  parameters={"targetSegment": raw})


def _available(country, segment=Segment.COMMERCIAL):
    return Availability.objects.filter(country=country, segment=segment)


def product_list(*, country, target_view, target_segment=None, actor=None) -> list[Product]:
    """The products of `target_view` sold in `country` (each with `country` set on it for its links)."""
    _check(actor)
    country = country_get(country)
    view = target_view_parse(target_view)
    segment = target_segment_parse(target_segment)
    products = (Product.objects.filter(target_views__contains=[view],
                                       skus__availabilities__in=_available(country, segment))
                .distinct().order_by("position", "id"))
    return list(products)


def product_get(*, product_id, country, actor=None) -> Product:
    _check(actor)
    country = country_get(country)
    product = Product.objects.filter(id__iexact=(product_id or "").strip()).first()
    if product is None or not _available(country).filter(sku__product=product).exists():
        raise ProductNotFound(_("Product %(product)s wasn't found in %(country)s.")
                              % {"product": product_id, "country": country.code},
                              parameters={"productId": product_id, "country": country.code})
    return product


def sku_list(*, product_id, country, target_segment=None, actor=None) -> list[Sku]:
    _check(actor)
    country = country_get(country)
    segment = target_segment_parse(target_segment)
    product = product_get(product_id=product_id, country=country)
    return list(product.skus.filter(availabilities__in=_available(country, segment)).distinct()
                .select_related("product").order_by("position", "sku_id"))


def sku_get(*, product_id, sku_id, country, actor=None) -> Sku:
    _check(actor)
    country = country_get(country)
    product = product_get(product_id=product_id, country=country)
    sku = (product.skus.select_related("product").filter(sku_id__iexact=(sku_id or "").strip(),
                                                         availabilities__in=_available(country))
           .distinct().first())
    if sku is None:
        raise SkuNotFound(_("SKU %(sku)s of product %(product)s wasn't found in %(country)s.")
                          % {"sku": sku_id, "product": product.id, "country": country.code},
                          parameters={"productId": product.id, "skuId": sku_id, "country": country.code})
    return sku


def _availabilities(sku, country):
    return (sku.availabilities.filter(country=country).select_related("country", "sku__product")
            .order_by("segment", "availability_id"))


def availability_list(*, product_id, sku_id, country, target_segment=None, actor=None) -> list[Availability]:
    _check(actor)
    country = country_get(country)
    segment = target_segment_parse(target_segment)
    sku = sku_get(product_id=product_id, sku_id=sku_id, country=country)
    return list(_availabilities(sku, country).filter(segment=segment))


def availability_get(*, product_id, sku_id, availability_id, country, actor=None) -> Availability:
    _check(actor)
    country = country_get(country)
    sku = sku_get(product_id=product_id, sku_id=sku_id, country=country)
    availability = _availabilities(sku, country).filter(availability_id__iexact=(availability_id or "").strip()).first()
    if availability is None:
        raise AvailabilityNotFound(
            _("Availability %(availability)s of %(product)s:%(sku)s wasn't found in %(country)s. Read the SKU's "
              "availabilities again for the current id.")
            % {"availability": availability_id, "product": sku.product_id, "sku": sku.sku_id, "country": country.code},
            parameters={"productId": sku.product_id, "skuId": sku.sku_id, "availabilityId": availability_id,
                        "country": country.code})
    return availability


def availability_by_catalog_item_id(catalog_item_id, country, *, field="catalogItemId") -> Availability:
    """The availability a cart line item or an order line item names (`{productId}:{skuId}:{availabilityId}`)
    for a customer in `country`. Errors name `field`:

    - malformed id: 400 800002; unknown product / SKU: 404 400013 / 400018;
    - unknown availability id: 404 400019 (ids change: the client reads the availabilities again);
    - an availability of another country: 400 800070 (the offer isn't sold in the customer's country).

    It does not refuse an availability that is not purchasable (the legacy Azure offer): the caller
    checks `availability.is_purchasable` and answers with its own code.
    """
    parts = (catalog_item_id or "").strip().split(":")
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise InvalidInput(_("%(field)s must be {productId}:{skuId}:{availabilityId}, e.g. "
                             "DZH318Z0BPS6:0001:DZH318Z0BML6.") % {"field": field}, field=field)
    product_id, sku_id, availability_id = (part.strip() for part in parts)
    country = country_get(country)
    # The usual case in one query; the errors below tell which part is unknown.
    availability = (Availability.objects.select_related("country", "sku__product")
                    .filter(sku__product__id__iexact=product_id, sku__sku_id__iexact=sku_id,
                            availability_id__iexact=availability_id).first())
    if availability is not None and availability.country_id == country.code:
        return availability
    sku = (Sku.objects.select_related("product")
           .filter(product__id__iexact=product_id, sku_id__iexact=sku_id).first())
    if sku is None:
        if not Product.objects.filter(id__iexact=product_id).exists():
            raise ProductNotFound(_("Product %(product)s wasn't found.") % {"product": product_id},
                                  field=field, parameters={"productId": product_id})
        raise SkuNotFound(_("SKU %(sku)s of product %(product)s wasn't found.") % {"sku": sku_id, "product": product_id},
                          field=field, parameters={"productId": product_id, "skuId": sku_id})
    availability = (sku.availabilities.select_related("country", "sku__product")
                    .filter(availability_id__iexact=availability_id).first())
    if availability is None:
        raise AvailabilityNotFound(
            _("Availability %(availability)s of %(product)s:%(sku)s wasn't found. Read the SKU's availabilities "
              "again for the current id.") % {"availability": availability_id, "product": sku.product_id,
                                               "sku": sku.sku_id},
            field=field, parameters={"catalogItemId": catalog_item_id})
    if availability.country_id != country.code:
        raise OfferNotAvailableInCountry(
            _("%(item)s is the availability for %(other)s; it isn't sold to customers in %(country)s. Read the SKU's "
              "availabilities with country=%(code)s.") % {"item": availability.catalog_item_id,
                                                         "other": availability.country.localized_name,
                                                         "country": country.localized_name, "code": country.code},
            field=field, parameters={"catalogItemId": catalog_item_id, "country": country.code})
    return availability


# ---------------------------------------------------------------- pages


def catalog_for_country(*, actor, country) -> list[Product]:
    """The catalog page: every product sold in `country`, its SKUs (`sku.availability` = the commercial
    availability there) in three queries."""
    _check(actor)
    country = country_get(country)
    availabilities = _available(country).select_related("country")
    skus = Sku.objects.filter(availabilities__in=_available(country)).distinct().prefetch_related(
        Prefetch("availabilities", queryset=availabilities, to_attr="here")).order_by("position", "sku_id")
    products = list(Product.objects.filter(skus__availabilities__in=_available(country)).distinct()
                    .prefetch_related(Prefetch("skus", queryset=skus, to_attr="sold_skus")).order_by("position", "id"))
    for product in products:
        for sku in product.sold_skus:
            sku.availability = sku.here[0] if sku.here else None
    return products


def azure_plan_availability(*, actor, search="") -> list[Availability]:
    """Where the Azure plan is sold: its commercial availabilities with country and region, by region then
    country name. `search` matches the start of a word of the country's English or French name, or its code."""
    from ..choices import AZURE_PLAN_PRODUCT_ID, AZURE_PLAN_SKU_ID

    _check(actor)
    rows = (Availability.objects.filter(sku__product_id=AZURE_PLAN_PRODUCT_ID, sku__sku_id=AZURE_PLAN_SKU_ID,
                                        segment=Segment.COMMERCIAL)
            .select_related("country__region", "sku"))
    search = (search or "").strip()
    if search:
        from django.db.models import Q

        pattern = r"(^|[\s(,'’-])" + re.escape(search)
        rows = rows.filter(Q(country__code__iexact=search) | Q(country__name__iregex=pattern)
                           | Q(country__name_fr__iregex=pattern))
    return sorted(rows, key=lambda a: (collation_key(a.country.region.localized_name),
                                       collation_key(a.country.localized_name)))


def azure_plan_country_count() -> int:
    from ..choices import AZURE_PLAN_PRODUCT_ID

    return Availability.objects.filter(sku__product_id=AZURE_PLAN_PRODUCT_ID, segment=Segment.COMMERCIAL).count()


def offer_comparison(*, actor) -> list[OfferComparison]:
    _check(actor)
    return list(OfferComparison.objects.order_by("position"))


def countries_without_azure_plan() -> list[Country]:
    """The countries of the regional markets where the Azure plan is not sold (China in the shipped data)."""
    from ..choices import AZURE_PLAN_PRODUCT_ID

    sold = Availability.objects.filter(sku__product_id=AZURE_PLAN_PRODUCT_ID, segment=Segment.COMMERCIAL)
    return countries_by_name(Country.objects.exclude(code__in=sold.values("country_id")))


def compared_skus(*, actor):
    """(legacy Azure SKU MS-AZR-0145P, Azure plan SKU 0001), each with `purchasable` (bought anywhere);
    None for one the catalog lacks."""
    from django.db.models import Exists, OuterRef

    from ..choices import AZURE_PLAN_PRODUCT_ID, AZURE_PLAN_SKU_ID, LEGACY_AZURE_PRODUCT_ID, LEGACY_AZURE_SKU_ID

    _check(actor)
    skus = {(s.product_id, s.sku_id): s for s in Sku.objects.filter(
        product_id__in=[AZURE_PLAN_PRODUCT_ID, LEGACY_AZURE_PRODUCT_ID]).select_related("product").annotate(
        purchasable=Exists(Availability.objects.filter(sku=OuterRef("pk"), is_purchasable=True)))}
    return skus.get((LEGACY_AZURE_PRODUCT_ID, LEGACY_AZURE_SKU_ID)), skus.get((AZURE_PLAN_PRODUCT_ID, AZURE_PLAN_SKU_ID))


def azure_role_list(*, actor=None):
    """The Azure built-in roles (reference data) and whether each earns partner earned credit: the API's
    /v1/azureRoles and the pages' role picker."""
    from ..models import AzureRole

    _check(actor)
    return list(AzureRole.objects.order_by("name"))
