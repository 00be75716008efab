"""/v1/customers, /v1/domains and /v1/customers/relationshiprequests, shaped like Partner Center's.

Views parse the wire format and call customers.selectors / customers.services; every rule (roles,
validation, market, relationship) lives there. A customer id is looked up first, so a foreign,
unknown or malformed id answers 404 before the body is read.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.response import Response

from accounts.authentication import BearerTokenAuthentication
from accounts.permissions import Perm
from core.api.idempotency import idempotent
from core.api.pagination import collection, seek_page_json
from core.api.schema import CONTINUATION, IDEMPOTENCY_KEY, IF_MATCH, REQUEST_ID, SEEK, SIZE, collection_schema, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput

from .. import addresses, selectors, services
from ..choices import RelationshipToPartner
from .serializers import (
    AddressValidationResponseSerializer,
    CustomerAddressInputSerializer,
    CustomerBillingProfileInputSerializer,
    CustomerBillingProfileSerializer,
    CustomerCompanyProfileSerializer,
    CustomerCreatedSerializer,
    CustomerCreateSerializer,
    CustomerListItemSerializer,
    CustomerPatchSerializer,
    CustomerSerializer,
    RelationshipRequestSerializer,
    billing_service_data,
    customer_list_item_json,
    customer_service_data,
)

TAGS = ["Customers"]
CUSTOMER_ID = OpenApiParameter("customer_id", str, OpenApiParameter.PATH,
                               description="The customer's tenant id (Partner Center's customer-tenant-id)")


def _params(request):
    return {key.lower(): value for key, value in request.query_params.items()}


def _flag(params, name):
    raw = params.get(name.lower())
    if raw is None or raw == "":
        return False
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise InvalidInput(f"{name} must be true or false.", field=name)



class CustomerListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_CUSTOMERS, "POST": Perm.ADD_CUSTOMER}
    deferred_throttle_methods = ("GET", "HEAD")  # one page read, nothing written

    @pc_schema(ok=collection_schema("CustomerCollection", CustomerListItemSerializer, paged=True),
               errors=(400, 401, 403, 429),
               parameters=[
                   SIZE, SEEK, CONTINUATION,
                   OpenApiParameter("filter", str, description='URL-encoded JSON {"Field":"CompanyName"|"Domain",'
                                                               '"Value":"..","Operator":"starts_with"}'),
                   OpenApiParameter("search", str, description="Extension: start of the company name or domain"),
                   OpenApiParameter("country", str, description="Extension: ISO 3166 alpha-2 country code"),
                   OpenApiParameter("reseller", str, description="Extension: the indirect reseller's PartnerID"),
               ],
               summary="List or query customers (seek paging; items without billing profile)", tags=TAGS,
               operation_id="customers_list")
    def get(self, request):
        params = _params(request)
        search, field = params.get("search", ""), ""
        if params.get("filter"):
            if search:
                raise InvalidInput("Use either filter or search, not both.", field="search")
            search, field = selectors.parse_pc_filter(params["filter"])
        country, reseller = params.get("country", ""), params.get("reseller", "")
        arguments = {"actor": self.actor(request), "search": search, "search_field": field, "country": country,
                     "reseller": reseller}
        key, statement_params = selectors.customer_list_statement(**arguments)
        scope = f"customers:{request.auth.organisation_id}:{field}:{search}:{country}:{reseller}"
        items, token = seek_page_json(request, lambda: selectors.customer_list_rows(
            fields=selectors.CUSTOMER_ORDERING, expressions={"item_json": customer_list_item_json()}, **arguments),
            key=key, params=statement_params, ordering=selectors.CUSTOMER_ORDERING, scope=scope,
            filter_first=bool(search))
        return Response(collection(items, request, next_token=token))

    @pc_schema(ok=CustomerCreatedSerializer, ok_status=201, request=CustomerCreateSerializer,
               errors=(400, 401, 403, 409, 429), parameters=[REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Create a customer; `userCredentials` (the first administrator) appear only in this answer",
               description="400 codes: 800002 (invalid field, named in parameters.field; domain taken), 600002 "
                           "(registration number not supported in the country), 600049 / 600050 (registration "
                           "number missing / invalid), 600051 (phone number missing), 2030 (country outside the "
                           "partner's market).",
               tags=TAGS, operation_id="customers_create")
    @idempotent(redact=("userCredentials",))
    def post(self, request):
        data = self.validated(CustomerCreateSerializer, request)
        customer, credentials = services.customer_create(actor=self.actor(request), data=customer_service_data(data),
                                                         reseller=data.get("associatedPartnerId") or None)
        body = CustomerCreatedSerializer(customer, context={
            "user_credentials": credentials, "enable_gdap_by_default": data.get("enableGDAPByDefault")}).data
        response = Response(body, status=201)
        response["Location"] = f"/v1/customers/{customer.tenant_id}"
        return response


class CustomerDetailView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_CUSTOMERS,
                            "PATCH": (Perm.REMOVE_RESELLER_RELATIONSHIP, Perm.EDIT_CUSTOMER)}

    @pc_schema(ok=CustomerSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID],
               summary="One customer", tags=TAGS, operation_id="customers_retrieve")
    def get(self, request, customer_id):
        customer = selectors.customer_get(actor=self.actor(request), tenant_id=customer_id)
        return Response(CustomerSerializer(customer).data)

    @pc_schema(ok=CustomerSerializer, request=CustomerPatchSerializer, errors=(400, 401, 403, 404, 409, 429),
               parameters=[CUSTOMER_ID],
               summary="Remove the reseller relationship or delegated admin privileges, or assign the indirect reseller",
               description='`{"relationshipToPartner": "none"}` ends the reseller relationship (Global admin; 409 '
                           '990020 while subscriptions are active). `{"allowDelegatedAccess": false}` removes the '
                           "partner's delegated admin privileges (Partner Center's remove-DAP; audited; again is a "
                           "no-op). "
                           '`{"associatedPartnerId": "<PartnerID>"|null}` '
                           "names or clears the indirect reseller of record (indirect providers).",
               tags=TAGS, operation_id="customers_partial_update")
    def patch(self, request, customer_id):
        actor = self.actor(request)
        customer = selectors.customer_get(actor=actor, tenant_id=customer_id)
        data = self.validated(CustomerPatchSerializer, request)
        given = [name for name in ("relationshipToPartner", "associatedPartnerId", "allowDelegatedAccess")
                 if name in data]
        if not given:
            raise InvalidInput('Send {"relationshipToPartner": "none"} to remove the reseller relationship, '
                               '{"allowDelegatedAccess": false} to remove delegated admin privileges, or '
                               '{"associatedPartnerId": ...} to assign the indirect reseller.',
                               field="relationshipToPartner")
        if len(given) > 1:
            raise InvalidInput(f"Change {' and '.join(given)} in separate requests.", field=given[-1])
        if "allowDelegatedAccess" in data:
            if data["allowDelegatedAccess"]:
                raise InvalidInput("allowDelegatedAccess can only be set to false. Delegated admin privileges are "
                                   "granted by the customer, accepting an invitation from GET "
                                   "/v1/customers/relationshiprequests?delegatedAdmin=true.",
                                   field="allowDelegatedAccess")
            customer = services.customer_remove_delegated_access(actor=actor, customer=customer)
        elif "relationshipToPartner" in data:
            if data["relationshipToPartner"].strip().lower() != RelationshipToPartner.NONE:
                raise InvalidInput("relationshipToPartner can only be set to none. To start a reseller relationship, "
                                   "send the customer a link from GET /v1/customers/relationshiprequests.",
                                   field="relationshipToPartner")
            customer = services.relationship_remove(actor=actor, customer=customer)
        else:
            customer = services.customer_assign_reseller(actor=actor, customer=customer,
                                                         reseller=(data["associatedPartnerId"] or "").strip() or None,
                                                         field="associatedPartnerId")
        return Response(CustomerSerializer(customer).data)


class CustomerCompanyProfileView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_CUSTOMERS}

    @pc_schema(ok=CustomerCompanyProfileSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID],
               summary="A customer's company profile", tags=TAGS, operation_id="customers_company_profile_retrieve")
    def get(self, request, customer_id):
        customer = selectors.customer_get(actor=self.actor(request), tenant_id=customer_id)
        return Response(CustomerCompanyProfileSerializer(customer).data)


class CustomerBillingProfileView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_CUSTOMERS, "PUT": Perm.EDIT_CUSTOMER}

    @pc_schema(ok=CustomerBillingProfileSerializer, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID],
               summary="A customer's billing profile (attributes.etag for If-Match)", tags=TAGS,
               operation_id="customers_billing_profile_retrieve")
    def get(self, request, customer_id):
        customer = selectors.customer_get(actor=self.actor(request), tenant_id=customer_id)
        return Response(CustomerBillingProfileSerializer(customer).data)

    @pc_schema(ok=CustomerBillingProfileSerializer, request=CustomerBillingProfileInputSerializer,
               errors=(400, 401, 403, 404, 412, 429), parameters=[CUSTOMER_ID, IF_MATCH],
               summary="Replace a customer's billing profile", tags=TAGS,
               operation_id="customers_billing_profile_update")
    def put(self, request, customer_id):
        actor = self.actor(request)
        customer = selectors.customer_get(actor=actor, tenant_id=customer_id)
        data = self.validated(CustomerBillingProfileInputSerializer, request)
        customer = services.customer_update_billing_profile(actor=actor, customer=customer,
                                                            data=billing_service_data(data, customer),
                                                            expected_etag=self.if_match(request))
        return Response(CustomerBillingProfileSerializer(customer).data)


class AddressValidationView(PCAPIView):
    """POST /v1/validations/address: the customer form's address rules (customers.addresses) on one address."""

    idempotent_methods = ()  # a read-only POST

    @pc_schema(ok=AddressValidationResponseSerializer, request=CustomerAddressInputSerializer,
               errors=(400, 401, 429),
               summary="Validate an address against its country's rules (state or province, postal code)",
               description="Partner Center's AddressValidationResponse. `status` Verified with the address in its "
                           "usual spelling in `suggestedAddresses` (e.g. the state upper-cased, K1A0B1 as K1A 0B1), or "
                           "InteractionRequired with `validationMessage` and (extension) `errors` naming each wrong "
                           "field. Formats only: the street is not looked up. 400 800002: country missing or not a "
                           "known ISO code.",
               tags=TAGS, operation_id="validations_address_create")
    def post(self, request):
        data = self.validated(CustomerAddressInputSerializer, request)
        code = (data.get("country") or "").strip().upper()
        if not code:
            raise InvalidInput("country is required (an ISO 3166 alpha-2 code such as US).", field="country")
        if not services.country_known(code):
            raise InvalidInput(f"{code} is not a known country code.", field="country")
        original = {wire: data[wire] for wire, _key in addresses.ADDRESS_FIELDS if data.get(wire) is not None}
        suggested, errors = addresses.address_validate({key: data.get(wire) for wire, key in addresses.ADDRESS_FIELDS})
        body = {"originalAddress": original}
        if errors:
            names = ", ".join(f"'{field[0].upper()}{field[1:]}'" for field, _message in errors)
            body.update(suggestedAddresses=[], status="InteractionRequired",
                        validationMessage=f"Address field invalid for property: {names}. "
                                          + " ".join(message for _field, message in errors),
                        errors=[{"field": field, "message": message} for field, message in errors])
        else:
            suggestion = {wire: suggested[key] for wire, key in addresses.ADDRESS_FIELDS if suggested[key]}
            body.update(suggestedAddresses=[suggestion], status="Verified")
        return Response(body)


class DomainView(PCAPIView):
    @pc_schema(ok=OpenApiResponse(description="The domain is taken"), errors=(401, 404, 429),
               parameters=[OpenApiParameter("domain", str, OpenApiParameter.PATH)],
               summary="Is a domain taken? 200 taken, 404 free, no body", tags=TAGS, operation_id="domains_head")
    def head(self, request, domain):
        """Is a domain taken? 200 taken, 404 free, no body (Partner Center's domain availability check)."""
        return Response(status=200 if services.domain_taken(domain) else 404)


class RelationshipRequestView(PCAPIView):
    required_permissions = {"GET": Perm.REQUEST_RESELLER_RELATIONSHIP}

    # Partner Center makes this a GET that creates an invitation, and App+User only: a bearer token, never the
    # browser session (a cross-site link must not create invitations in a signed-in user's name).
    authentication_classes = [BearerTokenAuthentication]

    @pc_schema(ok=RelationshipRequestSerializer, errors=(400, 401, 403, 429),
               parameters=[OpenApiParameter("delegatedAdmin", bool, description="Also ask for delegated admin"),
                           OpenApiParameter("reseller", str, description="Indirect providers: the indirect reseller "
                                                                         "(PartnerID) the customer will have")],
               summary="A reseller relationship invitation link for a customer's global admin", tags=TAGS,
               operation_id="customers_relationshiprequests_retrieve")
    def get(self, request):
        params = _params(request)
        _row, url = services.relationship_request_create(
            actor=self.actor(request), include_delegated_admin=_flag(params, "delegatedAdmin"),
            reseller=params.get("reseller", "").strip() or None)
        return Response({"url": url, "attributes": {"objectType": "RelationshipRequest"}})
