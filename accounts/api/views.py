import json
import uuid

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.pagination import collection, seek_page
from core.api.schema import CONTINUATION, IDEMPOTENCY_KEY, IF_MATCH, REQUEST_ID, SEEK, SIZE, collection_schema, pc_schema
from core.api.views import PCAPIView
from core.casing import fold
from core.errors import InvalidInput

from .. import selectors, services
from ..choices import Role, UserStatus
from ..forms import AuditFilterForm
from ..permissions import Perm
from .serializers import (
    AuditRecordSerializer,
    CredentialCreatedSerializer,
    CredentialCreateSerializer,
    CredentialSerializer,
    JobSerializer,
    OrganizationProfileSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


class OrganizationProfileView(PCAPIView):
    @pc_schema(ok=OrganizationProfileSerializer, errors=(401, 429), summary="The caller's partner organisation",
               tags=["Partner"])
    def get(self, request):
        organisation = selectors.organisation_get(actor=self.actor(request))
        return Response(OrganizationProfileSerializer(organisation).data)


class UserListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_USERS, "POST": Perm.MANAGE_USERS}

    @pc_schema(ok=collection_schema("UserCollection", UserSerializer, paged=True), errors=(400, 401, 403, 429),
               parameters=[SIZE, SEEK, CONTINUATION,
                           OpenApiParameter("search", str, description="Part of e-mail or name"),
                           OpenApiParameter("role", str, enum=Role.values),
                           OpenApiParameter("status", str, enum=UserStatus.values)],
               summary="List the organisation's users (seek paging)", tags=["Users"],
               operation_id="users_list")
    def get(self, request):
        params = {k.lower(): v for k, v in request.query_params.items()}
        role = params.get("role", "")
        status = params.get("status", "")
        if role and role not in Role.values:
            raise InvalidInput(_("role must be one of %(values)s.") % {"values": ", ".join(Role.values)}, field="role")
        if status and status not in UserStatus.values:
            raise InvalidInput(_("status must be one of %(values)s.") % {"values": ", ".join(UserStatus.values)},
                               field="status")
        qs = selectors.user_list(actor=self.actor(request), search=params.get("search", ""), role=role,
                                 status=status)
        rows, token = seek_page(request, qs, ordering=("email", "id"),
                                scope=f"users:{request.auth.organisation_id}:{params.get('search', '')}:{role}:{status}")
        return Response(collection(UserSerializer(rows, many=True).data, request, next_token=token))

    @pc_schema(ok=UserSerializer, ok_status=201, request=UserCreateSerializer,
               errors=(400, 401, 403, 409, 429), parameters=[REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Invite a user (an e-mail with a sign-up link is sent)", tags=["Users"])
    @idempotent
    def post(self, request):
        data = self.validated(UserCreateSerializer, request)
        user = services.user_invite(actor=self.actor(request), email=data["email"], first_name=data["firstName"],
                                    last_name=data["lastName"], roles=data["roles"],
                                    language=data.get("language", ""))
        response = Response(UserSerializer(user).data, status=201)
        response["Location"] = f"/v1/users/{user.public_id}"
        return response


class UserDetailView(PCAPIView):
    @pc_schema(ok=UserSerializer, errors=(401, 403, 404, 429), summary="One user", tags=["Users"])
    def get(self, request, user_id):
        user = selectors.user_get(actor=self.actor(request), public_id=user_id)
        return Response(UserSerializer(user).data)

    @pc_schema(ok=UserSerializer, request=UserUpdateSerializer, errors=(400, 401, 403, 404, 409, 412, 429),
               parameters=[IF_MATCH], summary="Change a user's names, roles, language or active state",
               tags=["Users"])
    def patch(self, request, user_id):
        actor = self.actor(request)
        user = selectors.user_get(actor=actor, public_id=user_id)
        data = self.validated(UserUpdateSerializer, request)
        user = services.user_update(
            actor=actor, user=user, expected_etag=self.if_match(request), first_name=data.get("firstName"),
            last_name=data.get("lastName"), roles=data.get("roles"), language=data.get("language"),
            is_active=data.get("isActive"),
        )
        return Response(UserSerializer(user).data)


class CredentialListView(PCAPIView):
    @pc_schema(ok=collection_schema("ApiCredentialCollection", CredentialSerializer, paged=True), errors=(401, 429),
               summary="The caller's tokens (and, for a Global admin, application credentials)", tags=["API tokens"],
               operation_id="apitokens_list")
    def get(self, request):
        credentials = selectors.credential_list(actor=self.actor(request))
        return Response(collection(CredentialSerializer(credentials, many=True).data, request))

    @pc_schema(ok=CredentialCreatedSerializer, ok_status=201, request=CredentialCreateSerializer,
               errors=(400, 401, 403, 409, 429), parameters=[REQUEST_ID, IDEMPOTENCY_KEY],
               summary="Create a token; the `token` value is shown only in this answer", tags=["API tokens"])
    @idempotent(redact=("token",))
    def post(self, request):
        data = self.validated(CredentialCreateSerializer, request)
        credential, raw = services.credential_create(actor=self.actor(request), name=data["name"],
                                                     kind=data["kind"], days=data.get("days"),
                                                     roles=data.get("roles"))
        body = CredentialCreatedSerializer(credential, context={"token": raw}).data
        response = Response(body, status=201)
        response["Location"] = f"/v1/apitokens/{credential.public_id}"
        return response


class CredentialDetailView(PCAPIView):
    @pc_schema(ok=CredentialSerializer, errors=(401, 404, 429), summary="One token", tags=["API tokens"])
    def get(self, request, credential_id):
        credential = selectors.credential_get(actor=self.actor(request), public_id=credential_id)
        return Response(CredentialSerializer(credential).data)


class CredentialRevokeView(PCAPIView):
    @pc_schema(ok=CredentialSerializer, request=None, errors=(401, 404, 429), summary="Revoke a token",
               tags=["API tokens"])
    def post(self, request, credential_id):
        actor = self.actor(request)
        credential = selectors.credential_get(actor=actor, public_id=credential_id)
        credential = services.credential_revoke(actor=actor, credential=credential)
        return Response(CredentialSerializer(credential).data)


# GET /v1/auditrecords's parameters onto accounts.forms.AuditFilterForm's fields (the page's filters): Partner
# Center's startDate, endDate and filter, and the extensions named after the answer's fields.
AUDIT_PARAMETERS = {"startdate": "start", "enddate": "end", "operationtype": "action", "userprincipalname": "actor",
                    "resource": "object"}
AUDIT_FIELD_NAMES = {"start": "startDate", "end": "endDate", "action": "operationType", "actor": "userPrincipalName",
                     "object": "resource", "customer": "filter", "resource_type": "filter"}
# Partner Center's filter fields (AuditRecordSearchField) by core.casing.fold: (form field, its one operator).
AUDIT_FILTER_FIELDS = {"companyname": ("customer", "substring"), "customerid": ("customer", "equals"),
                       "resourcetype": ("resource_type", "equals")}


def audit_filter_data(params):
    """The form data of /v1/auditrecords's query (names folded to lower case): the named parameters, and
    Partner Center's `filter={"Field": "CompanyName"|"CustomerId"|"ResourceType", "Value": "..", "Operator":
    "substring"|"equals"}` (names and values in any case, as Json.NET reads them)."""
    data = {field: params[name] for name, field in AUDIT_PARAMETERS.items() if name in params}
    raw = params.get("filter")
    if not raw:
        return data
    shape = _('filter must be JSON like {"Field":"CompanyName","Value":"contoso","Operator":"substring"}.')
    try:
        parsed = json.loads(raw)
        parsed = {fold(key): value for key, value in parsed.items()}
    except (ValueError, AttributeError, RecursionError):
        raise InvalidInput(shape, field="filter") from None
    field, value = fold(str(parsed.get("field", ""))), parsed.get("value")
    if field not in AUDIT_FILTER_FIELDS:
        raise InvalidInput(_("filter Field must be CompanyName, CustomerId or ResourceType."), field="filter")
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("filter Value must be a text that is not empty."), field="filter")
    form_field, operator = AUDIT_FILTER_FIELDS[field]
    if fold(str(parsed.get("operator", operator))) != operator:
        raise InvalidInput(_("The filter Operator for %(field)s must be %(operator)s.") % {
            "field": parsed["field"], "operator": operator}, field="filter")
    if field == "customerid":
        try:
            value = str(uuid.UUID(value.strip()))
        except ValueError:
            raise InvalidInput(_("filter Value must be a customer id (a GUID) for CustomerId."), field="filter") from None
    data[form_field] = value
    return data


class AuditRecordListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_AUDIT_LOG}

    @pc_schema(ok=collection_schema("AuditRecordCollection", AuditRecordSerializer, paged=True), errors=(400, 401, 403, 429),
               parameters=[
                   SIZE, SEEK, CONTINUATION,
                   OpenApiParameter("startDate", str, description="ISO 8601 date (from its start) or date-time, UTC "
                                                                  "when no offset"),
                   OpenApiParameter("endDate", str, description="ISO 8601 date (that day included) or date-time "
                                                                "(excluded)"),
                   OpenApiParameter("filter", str, description='URL-encoded JSON {"Field":"CompanyName",'
                                                               '"Value":"..","Operator":"substring"}, or Field '
                                                               '"CustomerId" / "ResourceType" with Operator "equals"'),
                   OpenApiParameter("operationType", str, description="Extension: starts with, e.g. user."),
                   OpenApiParameter("userPrincipalName", str, description="Extension: who acted (e-mail or token "
                                                                          "name) contains"),
                   OpenApiParameter("resource", str, description="Extension: the object's id, or its name contains"),
               ],
               summary="The organisation's audit log (Global admin)", tags=["Audit"])
    def get(self, request):
        params = {k.lower(): v for k, v in request.query_params.items()}
        form = AuditFilterForm(audit_filter_data(params))
        if not form.is_valid():
            name, errors = next(iter(form.errors.items()))
            field = AUDIT_FIELD_NAMES.get(name, "filter")
            raise InvalidInput(f"{field}: {errors[0]}", field=field)
        filters = form.filters()
        qs = selectors.audit_list(actor=self.actor(request), **filters)
        scope = f"audit:{request.auth.organisation_id}:{json.dumps(filters, default=str, sort_keys=True)}"
        rows, token = seek_page(request, qs, ordering=("-created_at", "-id"), scope=scope)
        return Response(collection(AuditRecordSerializer(rows, many=True).data, request, next_token=token))


class JobDetailView(PCAPIView):
    @pc_schema(ok=JobSerializer, errors=(401, 404, 429), summary="A background job's state and progress",
               tags=["Jobs"])
    def get(self, request, job_id):
        job = selectors.job_get(actor=self.actor(request), public_id=job_id)
        return Response(JobSerializer(job).data)
