"""Every read of customers, scoped to the acting partner (core.tenancy: Customer.tenant_q)."""

import json

from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.permissions import Perm, require
from core.api.pagination import filter_first_order
from core.casing import fold
from core.errors import InvalidInput
from core.models import AuditEvent
from core.tenancy import get_for_actor_or_404

from . import registry
from .choices import RelationshipToPartner
from .models import Customer, RelationshipRequest

CUSTOMER_ORDERING = ("company_name", "id")
# The customer list page's sortable columns: ?sort=<key> ascending, ?sort=-<key> descending (the id breaks ties).
CUSTOMER_SORTS = {
    "name": ("company_name",),
    "domain": ("domain",),
    "country": ("country__name", "company_name"),  # the French name in French (customer_list)
    "reseller": ("reseller__name", "company_name"),
    "relationship": ("relationship", "company_name"),
    "added": ("created_at",),
}
SEARCH_FIELDS = {"companyname": "company_name", "domain": "domain"}  # by core.casing.fold of the Field


def _sorted(qs, sort):
    key = (sort or "").lstrip("-")
    if key not in CUSTOMER_SORTS:
        return qs
    fields = list(CUSTOMER_SORTS[key])
    if key == "country" and (get_language() or "").startswith("fr"):
        fields = ["country__name_fr", "company_name"]
    descending = sort.startswith("-")
    return qs.order_by(*[F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True) for f in fields],
                       "-id" if descending else "id")


def customer_list(*, actor, search="", search_field="", country="", reseller="", include_removed=False, sort=""):
    """Customers of the actor, sorted by company name. `search` matches the start of the company name or
    the domain (indexed, case-insensitive), like Partner Center's starts_with filter; page it with
    seek_page(..., ordering=CUSTOMER_ORDERING, filter_first=bool(search))."""
    require(actor, Perm.VIEW_CUSTOMERS)
    qs = Customer.objects.for_actor(actor).select_related("country", "reseller")
    if not include_removed:
        qs = qs.filter(relationship=RelationshipToPartner.RESELLER)
    search = (search or "").strip()
    if search:
        if search_field == "domain":
            qs = qs.filter(domain__istartswith=search)
        elif search_field == "company_name":
            qs = qs.filter(company_name__istartswith=search)
        else:
            qs = qs.filter(Q(company_name__istartswith=search) | Q(domain__istartswith=search))
        # Find the matches through the prefix indexes, then sort them (core.api.pagination.seek_page).
        qs = qs.order_by(*filter_first_order(CUSTOMER_ORDERING))
    if country:
        qs = qs.filter(country_id=country.upper())
    if reseller:
        qs = qs.filter(reseller__partner_id=reseller)
    return _sorted(qs, sort) if sort else qs


LIST_ITEM_FIELDS = ("id", "tenant_id", "commerce_id", "domain", "company_name", "organization_registration_number",
                    "relationship", "reseller__tenant_id")


def customer_list_rows(*, fields=LIST_ITEM_FIELDS, expressions=None, **kwargs):
    """customer_list as plain rows (dicts of `fields`, LIST_ITEM_FIELDS unless given, and of `expressions`, named
    annotations such as the API's item JSON): no model instances, no joined country row."""
    return customer_list(**kwargs).select_related(None).values(*fields, **(expressions or {}))


def customer_list_statement(*, actor, search="", search_field="", country="", reseller=""):
    """The shape and the parameters of customer_list_rows(...) with the same arguments, for
    core.api.pagination.seek_page_cached: (key, params), the params in the order the ORM binds them. Keep it in
    step with customer_list and Customer.tenant_q; a difference is caught on the first request of each shape
    (that shape then goes through the ORM) and by customers/tests/test_list_statement.py."""
    require(actor, Perm.VIEW_CUSTOMERS)
    from django.db import connection

    indirect = actor.tier == "indirect_reseller"  # Customer.tenant_q
    params = [actor.organisation_id, RelationshipToPartner.RESELLER]
    search = (search or "").strip()
    if search:
        like = connection.ops.prep_for_like_query(search) + "%"
        params += [like] if search_field in ("domain", "company_name") else [like, like]
    if country:
        params.append(country.upper())
    if reseller:
        params.append(reseller)
    key = ("customers", indirect, search_field if search else None, bool(country), bool(reseller))
    return key, params


def parse_pc_filter(raw):
    """Partner Center's `filter` query value: {"Field": "CompanyName"|"Domain", "Value": "...",
    "Operator": "starts_with"} -> (search, field)."""
    try:
        data = {fold(key): value for key, value in json.loads(raw).items()}  # Json.NET: names in any case
        field = fold(data.get("field", ""))
        operator = fold(data.get("operator", "starts_with"))
        value = str(data.get("value", ""))
    except (ValueError, AttributeError, RecursionError):
        raise InvalidInput(_('filter must be JSON like {"Field":"CompanyName","Value":"con","Operator":"starts_with"}.'),
                           field="filter") from None
    if field not in SEARCH_FIELDS:
        raise InvalidInput(_("filter Field must be CompanyName or Domain."), field="filter")
    if operator != "startswith":
        raise InvalidInput(_("filter Operator must be starts_with."), field="filter")
    return value, SEARCH_FIELDS[field]


def customer_get(*, actor, tenant_id) -> Customer:
    """The customer as `actor` sees it (404 otherwise), marked with that actor (`found_for`): a service handed this
    row for the same actor need not read it again to scope it."""
    require(actor, Perm.VIEW_CUSTOMERS)
    customer = get_for_actor_or_404(
        Customer.objects.select_related("country__region", "reseller", "organisation__country"), actor,
        tenant_id=tenant_id)
    customer._found_for = actor
    return customer


def found_for(customer, actor) -> bool:
    """Whether `customer` was read by customer_get for this very actor (the same request)."""
    return getattr(customer, "_found_for", None) is actor


def customer_activity(*, actor, customer, limit=50):
    """What happened to the customer: the selling partner sees its own and the reseller of record's events;
    an indirect reseller sees only its own (not the provider's staff or earlier resellers)."""
    events = AuditEvent.objects.filter(subject_type="customers.Customer", subject_id=str(customer.tenant_id))
    if actor.organisation_id == customer.organisation_id:
        organisations = [customer.organisation_id] + ([customer.reseller_id] if customer.reseller_id else [])
        events = events.filter(organisation_id__in=organisations)
    else:
        # The reseller of record also sees its customer's orders and subscriptions the provider recorded
        # (registry.share_activity_with_reseller), shown by the provider's name.
        shared = Q()
        for prefix in registry.shared_with_reseller():
            shared |= Q(action__startswith=prefix)
        provider = Q(organisation_id=customer.organisation_id) & shared if shared else Q(pk__in=[])
        events = events.filter(Q(organisation_id=actor.organisation_id) | provider)
    return events.select_related("actor_user")[:limit]


def relationship_request_list(*, actor):
    require(actor, Perm.REQUEST_RESELLER_RELATIONSHIP)
    return RelationshipRequest.objects.for_actor(actor).select_related("customer", "reseller", "created_by")
