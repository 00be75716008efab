from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import AttributesField, PCModelSerializer, PCSerializer, SelfLinkSerializer, link

from ..choices import CredentialKind, Role
from ..models import ApiCredential, Organisation, User


class OrganizationProfileSerializer(PCModelSerializer):
    """Partner Center's OrganizationProfile, with this portal's partner facts as extensions."""

    id = serializers.UUIDField(source="tenant_id", read_only=True)
    tenantId = serializers.UUIDField(source="tenant_id", read_only=True)
    partnerId = serializers.CharField(source="partner_id", read_only=True)
    companyName = serializers.CharField(source="name", read_only=True)
    tier = serializers.CharField(read_only=True)
    country = serializers.CharField(source="country_id", read_only=True)
    billingCurrency = serializers.CharField(source="billing_currency", read_only=True)
    market = serializers.CharField(source="country.region_id", read_only=True)
    indirectProviderId = serializers.SerializerMethodField()
    mpaSignedDate = serializers.DateField(source="mpa_signed_at", read_only=True)
    creditLimit = serializers.SerializerMethodField()
    attributes = AttributesField("OrganizationProfile", etag=True)

    class Meta:
        model = Organisation
        fields = ["id", "tenantId", "partnerId", "companyName", "tier", "country", "billingCurrency", "market",
                  "indirectProviderId", "mpaSignedDate", "creditLimit", "attributes"]

    def get_indirectProviderId(self, obj) -> str | None:
        return str(obj.provider.tenant_id) if obj.provider_id else None

    def get_creditLimit(self, obj) -> dict:
        return {"amount": str(obj.credit_limit), "currency": obj.credit_limit_currency}


class UserSerializer(PCModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    email = serializers.EmailField(read_only=True)
    firstName = serializers.CharField(source="first_name", read_only=True)
    lastName = serializers.CharField(source="last_name", read_only=True)
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    language = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    mfaEnrolled = serializers.BooleanField(source="mfa_enrolled", read_only=True)
    lastLogin = serializers.DateTimeField(source="last_login", read_only=True, allow_null=True)
    invitedAt = serializers.DateTimeField(source="invited_at", read_only=True, allow_null=True)
    links = serializers.SerializerMethodField()
    attributes = AttributesField("PartnerUser", etag=True)

    class Meta:
        model = User
        fields = ["id", "email", "firstName", "lastName", "roles", "language", "status", "mfaEnrolled",
                  "lastLogin", "invitedAt", "links", "attributes"]

    @extend_schema_field(SelfLinkSerializer)
    def get_links(self, obj):
        return {"self": link(f"/users/{obj.public_id}")}


class UserCreateSerializer(PCSerializer):
    email = serializers.EmailField(max_length=254)
    firstName = serializers.CharField(max_length=50)
    lastName = serializers.CharField(max_length=50)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.values), allow_empty=True)
    language = serializers.CharField(required=False, allow_blank=True, max_length=8)


class UserUpdateSerializer(PCSerializer):
    firstName = serializers.CharField(max_length=50, required=False)
    lastName = serializers.CharField(max_length=50, required=False)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.values), required=False)
    language = serializers.CharField(required=False, allow_blank=True, max_length=8)
    isActive = serializers.BooleanField(required=False)


class CredentialSerializer(PCModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True)
    roles = serializers.SerializerMethodField()
    userId = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    expiresAt = serializers.DateTimeField(source="expires_at", read_only=True)
    revokedAt = serializers.DateTimeField(source="revoked_at", read_only=True, allow_null=True)
    lastUsedAt = serializers.DateTimeField(source="last_used_at", read_only=True, allow_null=True)
    attributes = AttributesField("ApiCredential")

    class Meta:
        model = ApiCredential
        fields = ["id", "name", "kind", "prefix", "roles", "userId", "status", "createdAt", "expiresAt",
                  "revokedAt", "lastUsedAt", "attributes"]

    def get_roles(self, obj) -> list[str]:
        return list(obj.user.roles) if obj.user_id else list(obj.roles)

    def get_userId(self, obj) -> str | None:
        return str(obj.user.public_id) if obj.user_id else None


class CredentialCreatedSerializer(CredentialSerializer):
    token = serializers.SerializerMethodField()

    class Meta(CredentialSerializer.Meta):
        fields = CredentialSerializer.Meta.fields + ["token"]

    def get_token(self, obj) -> str:
        return self.context["token"]


class CredentialCreateSerializer(PCSerializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=CredentialKind.values, required=False, default=CredentialKind.USER)
    days = serializers.IntegerField(required=False, min_value=1)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.values), required=False)


class AuditRecordSerializer(serializers.Serializer):
    """Partner Center's AuditRecord shape (operationType, operationDate, userPrincipalName...)."""

    id = serializers.CharField(source="pk")
    operationType = serializers.CharField(source="action")
    operationDate = serializers.DateTimeField(source="created_at")
    userPrincipalName = serializers.CharField(source="actor_label")
    resourceType = serializers.CharField(source="object_type")
    resourceId = serializers.CharField(source="object_id")
    resourceName = serializers.CharField(source="object_repr")
    operationStatus = serializers.SerializerMethodField()
    requestId = serializers.CharField(source="request_id")
    customizedData = serializers.JSONField(source="data")
    attributes = serializers.SerializerMethodField()

    def get_operationStatus(self, obj) -> str:
        return "succeeded"

    def get_attributes(self, obj) -> dict:
        return {"objectType": "AuditRecord"}


class JobSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    failures = serializers.IntegerField()
    percent = serializers.IntegerField()
    error = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    startedAt = serializers.DateTimeField(source="started_at")
    finishedAt = serializers.DateTimeField(source="finished_at")
    attributes = serializers.SerializerMethodField()

    def get_attributes(self, obj) -> dict:
        return {"objectType": "Job"}
