from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.pagination import collection, seek_page
from core.api.schema import CONTINUATION, IDEMPOTENCY_KEY, IF_MATCH, REQUEST_ID, SEEK, SIZE, collection_schema, pc_schema
from core.api.views import PCAPIView
from core.errors import InvalidInput

from .. import selectors, services
from ..choices import Role, UserStatus
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
            raise InvalidInput(f"role must be one of {', '.join(Role.values)}.", field="role")
        if status and status not in UserStatus.values:
            raise InvalidInput(f"status must be one of {', '.join(UserStatus.values)}.", field="status")
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


def _parse_when(value, field, *, end=False):
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        day = parse_date(value) if parsed is None else None
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        raise InvalidInput(f"{field} is not a real date.", field=field) from None
    if parsed is None:
        if day is None:
            raise InvalidInput(f"{field} must be an ISO-8601 date or date-time.", field=field)
        parsed = datetime.combine(day, time.min)
        if end:
            parsed = parsed + timezone.timedelta(days=1)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


class AuditRecordListView(PCAPIView):
    required_permissions = {"GET": Perm.VIEW_AUDIT_LOG}

    @pc_schema(ok=collection_schema("AuditRecordCollection", AuditRecordSerializer, paged=True), errors=(400, 401, 403, 429),
               parameters=[SIZE, SEEK, CONTINUATION, OpenApiParameter("startDate", str), OpenApiParameter("endDate", str),
                           OpenApiParameter("operationType", str, description="Prefix, e.g. user.")],
               summary="The organisation's audit log (Global admin)", tags=["Audit"])
    def get(self, request):
        params = {k.lower(): v for k, v in request.query_params.items()}
        start = _parse_when(params.get("startdate"), "startDate")
        end = _parse_when(params.get("enddate"), "endDate", end=True)
        if start and end and start >= end:
            raise InvalidInput("startDate must be before endDate.", field="startDate")
        qs = selectors.audit_list(actor=self.actor(request), action=params.get("operationtype", ""), start=start,
                                  end=end)
        scope = f"audit:{request.auth.organisation_id}:{start}:{end}:{params.get('operationtype', '')}"
        rows, token = seek_page(request, qs, ordering=("-created_at", "-id"), scope=scope)
        return Response(collection(AuditRecordSerializer(rows, many=True).data, request, next_token=token))


class JobDetailView(PCAPIView):
    @pc_schema(ok=JobSerializer, errors=(401, 404, 429), summary="A background job's state and progress",
               tags=["Jobs"])
    def get(self, request, job_id):
        job = selectors.job_get(actor=self.actor(request), public_id=job_id)
        return Response(JobSerializer(job).data)
