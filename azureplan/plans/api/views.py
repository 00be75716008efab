"""/v1/customers/{id}/subscriptions/{id}/cancel (the Azure plan), .../azureEntitlements (its Azure subscriptions)
and their role assignments (extension). The customer is found first (foreign, unknown or malformed: 404 1000), then
the resource under it (unknown: Partner Center's code for it: subscription 20003, Azure entitlement 800111).
Bodies are read in any casing and handed to azureplan.plans.services, where every rule and its error code lives.
The subscriptions collection itself (Azure plans and legacy subscriptions together) is azureplan.legacy.api's."""

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
from core.api.views import PCAPIView
from core.errors import InvalidInput
from customers.selectors import customer_get

from .. import selectors, services
from .serializers import (
    AzureEntitlementCancelSerializer,
    AzureEntitlementCreateSerializer,
    AzureEntitlementPatchSerializer,
    AzureEntitlementSerializer,
    RoleAssignmentInputSerializer,
    RoleAssignmentSerializer,
    SubscriptionSerializer,
)

PLAN_TAGS = ["Subscriptions (Azure plan)"]
ENTITLEMENT_TAGS = ["Azure entitlements"]
CUSTOMER_ID = OpenApiParameter("customer_id", str, OpenApiParameter.PATH, description="The customer's tenant id")
SUBSCRIPTION_ID = OpenApiParameter("subscription_id", str, OpenApiParameter.PATH,
                                   description="The Azure plan's subscription id")
ENTITLEMENT_ID = OpenApiParameter("entitlement_id", str, OpenApiParameter.PATH,
                                  description="The Azure subscription id (Azure entitlement id)")
ASSIGNMENT_ID = OpenApiParameter("assignment_id", str, OpenApiParameter.PATH, description="The role assignment id")

ENTITLEMENTS = collection_schema("AzureEntitlementCollection", AzureEntitlementSerializer, paged=True)
ROLE_ASSIGNMENTS = collection_schema("RoleAssignmentCollection", RoleAssignmentSerializer)


def query_params(request):
    """Query values by lower-cased name (Partner Center matches names in any case)."""
    return {key.lower(): value for key, value in request.query_params.items()}


def _include_removed(params):
    raw = (params.get("includeremoved") or "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise InvalidInput("includeRemoved must be true or false.", field="includeRemoved")


class PlanView(PCAPIView):
    """Finds the customer, then the Azure plan or Azure subscription under it, for the actor of the request."""

    def customer(self, request, customer_id):
        return customer_get(actor=self.actor(request), tenant_id=customer_id)

    def plan(self, request, customer_id, subscription_id):
        return selectors.plan_get(actor=self.actor(request), customer=self.customer(request, customer_id),
                                  subscription_id=subscription_id)

    def entitlement(self, request, customer_id, subscription_id, entitlement_id):
        return selectors.azure_subscription_get(actor=self.actor(request),
                                                plan=self.plan(request, customer_id, subscription_id),
                                                entitlement_id=entitlement_id)

    def entitlement_body(self, request, sub, status=200):
        sub = selectors.azure_subscription_get(actor=self.actor(request), plan=sub.plan,
                                               entitlement_id=sub.subscription_id)
        data = AzureEntitlementSerializer(sub).data
        response = Response(data, status=status)
        if status in (201, 202):
            response["Location"] = "/v1" + data["links"]["self"]["uri"]
        return response


class SubscriptionCancelView(PlanView):
    required_permissions = {"POST": Perm.CANCEL_AZURE_PLAN}

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


class AzureEntitlementListView(PlanView):
    required_permissions = {"POST": Perm.CREATE_AZURE_SUBSCRIPTION}

    @pc_schema(ok=ENTITLEMENTS, errors=(400, 401, 403, 404, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, SIZE, SEEK, CONTINUATION],
               summary="The Azure subscriptions of an Azure plan, oldest first (seek paging, as customers; deleted "
                       "ones included)",
               description="404: 1000 (customer), 20003 (subscription).", tags=ENTITLEMENT_TAGS,
               operation_id="customers_subscriptions_azureentitlements_list")
    def get(self, request, customer_id, subscription_id):
        plan = self.plan(request, customer_id, subscription_id)
        subs = selectors.azure_subscription_rows(actor=self.actor(request), plan=plan)
        rows, token = seek_page(request, subs, ordering=selectors.AZURE_SUBSCRIPTION_ORDERING,
                                scope=f"azureEntitlements:{plan.pk}")
        return Response(collection(AzureEntitlementSerializer(rows, many=True).data, request, next_token=token))

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


class AzureEntitlementDetailView(PlanView):
    required_permissions = {"PATCH": Perm.CREATE_AZURE_SUBSCRIPTION}

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


class AzureEntitlementCancelView(PlanView):
    required_permissions = {"POST": Perm.CANCEL_AZURE_SUBSCRIPTION}

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


class AzureEntitlementReactivateView(PlanView):
    required_permissions = {"POST": Perm.REACTIVATE_AZURE_SUBSCRIPTION}

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


class RoleAssignmentListView(PlanView):
    required_permissions = {"POST": Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS}

    @pc_schema(ok=ROLE_ASSIGNMENTS, errors=(400, 401, 403, 404, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, ENTITLEMENT_ID,
                           OpenApiParameter("includeRemoved", bool, description="Also the removed ones (removedAt)")],
               summary="Extension: the roles held on an Azure subscription (what partner earned credit depends on)",
               tags=ENTITLEMENT_TAGS, operation_id="customers_subscriptions_azureentitlements_roleassignments_list")
    def get(self, request, customer_id, subscription_id, entitlement_id):
        sub = self.entitlement(request, customer_id, subscription_id, entitlement_id)
        rows = selectors.role_assignment_list(actor=self.actor(request), sub=sub,
                                              include_removed=_include_removed(query_params(request)))
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


class RoleAssignmentRemoveView(PlanView):
    required_permissions = {"POST": Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS}

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
