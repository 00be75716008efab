"""Partner Center's Customer, CustomerCompanyProfile and CustomerBillingProfile on the wire.

Input serializers only check the JSON shape (objects where objects belong, strings where strings
belong) and accept any casing; the business rules (required fields, lengths, market, registration
number, phone) live in customers.services, whose errors name the same wire paths.
"""

from django.db.models import F
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import AttributesField, OptionalMethodField, PCSerializer, SelfLinkSerializer, link
from core.api.sql_json import IfNotNull, Text, json_text

# ---------------------------------------------------------------- output


class CustomerAddressSerializer(serializers.Serializer):
    """Partner Center's Address (the billing profile's `defaultAddress`)."""

    country = serializers.CharField(source="country_id")
    region = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    addressLine1 = serializers.CharField(source="address_line1")
    addressLine2 = serializers.CharField(source="address_line2")
    postalCode = serializers.CharField(source="postal_code")
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    phoneNumber = serializers.CharField(source="phone_number")


class CustomerCompanyProfileSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField(source="tenant_id")
    domain = serializers.CharField()
    companyName = serializers.CharField(source="company_name")
    organizationRegistrationNumber = serializers.CharField(source="organization_registration_number")
    links = serializers.SerializerMethodField()
    attributes = AttributesField("CustomerCompanyProfile")

    @extend_schema_field(SelfLinkSerializer)
    def get_links(self, obj):
        return {"self": link(f"/customers/{obj.tenant_id}/profiles/company")}


class CustomerBillingProfileSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="billing_profile_id")
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    email = serializers.EmailField()
    culture = serializers.CharField()
    language = serializers.CharField()
    companyName = serializers.CharField(source="billing_company_name")
    defaultAddress = CustomerAddressSerializer(source="*")
    links = serializers.SerializerMethodField()
    attributes = AttributesField("CustomerBillingProfile", etag=True)

    @extend_schema_field(SelfLinkSerializer)
    def get_links(self, obj):
        return {"self": link(f"/customers/{obj.tenant_id}/profiles/billing")}


class _CustomerBase(serializers.Serializer):
    def get_associatedPartnerId(self, obj) -> str | None:
        return str(obj.reseller.tenant_id) if obj.reseller_id else None

    @extend_schema_field(SelfLinkSerializer)
    def get_links(self, obj):
        return {"self": link(f"/customers/{obj.tenant_id}")}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("associatedPartnerId") is None:
            data.pop("associatedPartnerId", None)  # like Partner Center: only when an indirect reseller is set
        # `attributes` last, as Partner Center prints it
        data["attributes"] = data.pop("attributes")
        return data


class CustomerListItemSerializer(_CustomerBase):
    """A customer in GET /v1/customers: no billing profile (as Partner Center's list)."""

    id = serializers.UUIDField(source="tenant_id")
    commerceId = serializers.UUIDField(source="commerce_id")
    companyProfile = CustomerCompanyProfileSerializer(source="*")
    relationshipToPartner = serializers.CharField(source="relationship")
    associatedPartnerId = OptionalMethodField(help_text="The indirect reseller's tenant id, only when set")
    links = serializers.SerializerMethodField()
    attributes = AttributesField("Customer")


def customer_list_item_json():
    """What CustomerListItemSerializer writes for each customer, as an expression PostgreSQL writes per row
    (core.api.sql_json) over customers.selectors.customer_list_rows: the list's items are never built in Python.
    customers/tests/test_list_items.py checks it byte for byte against the serializer, with values to escape."""
    tenant_id = Text("tenant_id")
    self_link = {"method": "GET", "headers": []}
    return json_text({
        "id": tenant_id,
        "commerceId": Text("commerce_id"),
        "companyProfile": {
            "tenantId": tenant_id,
            "domain": Text("domain"),
            "companyName": Text("company_name"),
            "organizationRegistrationNumber": Text("organization_registration_number"),
            "links": {"self": {"uri": Text("/customers/", F("tenant_id"), "/profiles/company"), **self_link}},
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "relationshipToPartner": Text("relationship"),
        "associatedPartnerId": IfNotNull(Text("reseller__tenant_id")),
        "links": {"self": {"uri": Text("/customers/", F("tenant_id")), **self_link}},
        "attributes": {"objectType": "Customer"},
    })


class CustomerSerializer(_CustomerBase):
    id = serializers.UUIDField(source="tenant_id")
    commerceId = serializers.UUIDField(source="commerce_id")
    companyProfile = CustomerCompanyProfileSerializer(source="*")
    billingProfile = CustomerBillingProfileSerializer(source="*")
    relationshipToPartner = serializers.CharField(source="relationship")
    allowDelegatedAccess = serializers.BooleanField(source="allow_delegated_access")
    customDomains = serializers.SerializerMethodField()
    associatedPartnerId = OptionalMethodField(help_text="The indirect reseller's tenant id, only when set")
    links = serializers.SerializerMethodField()
    attributes = AttributesField("Customer")

    def get_customDomains(self, obj) -> list[str]:
        return [obj.domain]


class UserCredentialsSerializer(serializers.Serializer):
    userName = serializers.CharField()
    password = serializers.CharField()


class CustomerCreatedSerializer(CustomerSerializer):
    """The create answer: the customer plus the first administrator's credentials, shown once."""

    userCredentials = serializers.SerializerMethodField()
    enableGDAPByDefault = serializers.SerializerMethodField()

    # Inline, not a $ref: a null replay (idempotency redacts the password) must validate, and `nullable` beside
    # an allOf reference is not honoured by every OpenAPI 3.0 validator.
    @extend_schema_field({"type": "object", "nullable": True, "description": "Null in an idempotent replay",
                          "properties": {"userName": {"type": "string"}, "password": {"type": "string"}},
                          "required": ["userName", "password"]})
    def get_userCredentials(self, obj):
        return self.context["user_credentials"]

    def get_enableGDAPByDefault(self, obj) -> bool:
        return bool(self.context.get("enable_gdap_by_default"))


class RelationshipRequestSerializer(serializers.Serializer):
    url = serializers.URLField()
    attributes = serializers.DictField()


# ---------------------------------------------------------------- input


def _text():
    return serializers.CharField(required=False, allow_blank=True, allow_null=True)


class CustomerAddressInputSerializer(PCSerializer):
    firstName = _text()
    lastName = _text()
    addressLine1 = _text()
    addressLine2 = _text()
    city = _text()
    state = _text()
    postalCode = _text()
    country = _text()
    region = _text()
    phoneNumber = _text()


class AddressSerializer(serializers.Serializer):
    """Partner Center's Address as the address validation route prints it (only the properties given)."""

    country = serializers.CharField()
    region = serializers.CharField(required=False)
    city = serializers.CharField(required=False)
    state = serializers.CharField(required=False)
    addressLine1 = serializers.CharField(required=False)
    addressLine2 = serializers.CharField(required=False)
    postalCode = serializers.CharField(required=False)


class AddressFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class AddressValidationResponseSerializer(serializers.Serializer):
    originalAddress = AddressSerializer()
    suggestedAddresses = AddressSerializer(many=True)
    status = serializers.ChoiceField(choices=["Verified", "InteractionRequired"],
                                     help_text="Verified: the address follows its country's rules (formats only: the "
                                               "street is not looked up); InteractionRequired: see validationMessage")
    validationMessage = serializers.CharField(required=False)
    errors = AddressFieldErrorSerializer(many=True, required=False,
                                         help_text="Extension: each wrong field and what is wrong with it")


class CustomerCompanyProfileInputSerializer(PCSerializer):
    domain = _text()
    companyName = _text()
    organizationRegistrationNumber = _text()


class CustomerBillingProfileInputSerializer(PCSerializer):
    """Also the body of PUT /v1/customers/{id}/profiles/billing (the whole profile)."""

    email = _text()
    culture = _text()
    language = _text()
    companyName = _text()
    firstName = _text()
    lastName = _text()
    defaultAddress = CustomerAddressInputSerializer()


class CustomerCreateSerializer(PCSerializer):
    companyProfile = CustomerCompanyProfileInputSerializer()
    billingProfile = CustomerBillingProfileInputSerializer()
    associatedPartnerId = serializers.CharField(
        required=False, allow_blank=True, allow_null=True,
        help_text="Indirect providers: the indirect reseller of record (PartnerID or tenant id)")
    enableGDAPByDefault = serializers.BooleanField(required=False, allow_null=True,
                                                   help_text="Accepted and echoed; GDAP is not managed here")


class CustomerPatchSerializer(PCSerializer):
    relationshipToPartner = serializers.CharField(required=False, help_text="Only `none`: remove the relationship")
    allowDelegatedAccess = serializers.BooleanField(
        required=False, help_text="Only false: remove the partner's delegated admin privileges (Partner Center's "
                                  "remove-DAP)")
    associatedPartnerId = serializers.CharField(
        required=False, allow_blank=True, allow_null=True,
        help_text="Indirect providers: the indirect reseller of record (PartnerID or tenant id), null to clear")


def _contact_name(billing, address, key, current):
    """The billing contact's first or last name. Partner Center's billing profile carries it twice (`firstName` and
    `defaultAddress.firstName`); we keep one. On a PUT of the profile as read, the copy the client changed wins
    (the top-level one when both changed); at creation the address's, else the top-level one."""
    top, nested = billing.get(key), address.get(key)
    if current is not None:
        for value in (top, nested):
            if value is not None and value.strip() and value.strip() != current:
                return value
        return top if top is not None and top.strip() else (nested or top)
    return nested or top


def billing_service_data(billing, current=None) -> dict:
    """A validated billing profile -> the field names of customers.services.validate_customer_data. `current` is
    the customer whose profile a PUT replaces."""
    address = billing.get("defaultAddress") or {}
    return {
        "email": billing.get("email"),
        "culture": billing.get("culture"),
        "language": billing.get("language"),
        "billing_company_name": billing.get("companyName"),
        "first_name": _contact_name(billing, address, "firstName", current and current.first_name),
        "last_name": _contact_name(billing, address, "lastName", current and current.last_name),
        "address_line1": address.get("addressLine1"),
        "address_line2": address.get("addressLine2"),
        "city": address.get("city"),
        "state": address.get("state"),
        "postal_code": address.get("postalCode"),
        "country": address.get("country"),
        "region": address.get("region"),
        "phone_number": address.get("phoneNumber"),
    }


def customer_service_data(validated) -> dict:
    company = validated["companyProfile"]
    billing = validated["billingProfile"]
    return {
        "domain": company.get("domain"),
        # Microsoft's own example sends no companyProfile.companyName: the billing company name stands in.
        "company_name": company.get("companyName") or billing.get("companyName"),
        "organization_registration_number": company.get("organizationRegistrationNumber"),
        **billing_service_data(billing),
    }
