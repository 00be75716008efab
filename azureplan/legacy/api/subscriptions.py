"""/v1/customers/{id}/subscriptions and /subscriptions/{id}: the customer's Partner Center subscriptions, which are
its Azure plans and its legacy Azure (MS-AZR-0145P) subscriptions together. It lives here, in the legacy room,
because it is the one that knows both kinds (legacy builds on plans, never the reverse). A PATCH renames, suspends
or reactivates an Azure plan (azureplan.plans.services) or renames a legacy subscription."""

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from accounts.permissions import Perm
from core.api.etag import check_etag
from core.api.pagination import collection, seek_chain
from core.api.schema import CONTINUATION, IF_MATCH, SEEK, SIZE, pc_schema
from core.errors import InvalidInput, NotFound

from ...errors import SubscriptionNotFound
from ...models import LegacySubscription
from ...plans import selectors
from ...plans import services as plan_services
from ...plans.api.serializers import SubscriptionPatchSerializer, SubscriptionSerializer
from ...plans.api.views import CUSTOMER_ID, PLAN_TAGS, SUBSCRIPTION_ID, PlanView, query_params
from .. import selectors as legacy_selectors
from ..services import legacy_rename
from .serializers import LegacySubscriptionSerializer

SUBSCRIPTION_OR_LEGACY = PolymorphicProxySerializer(
    component_name="SubscriptionOrLegacySubscription", resource_type_field_name=None,
    serializers=[SubscriptionSerializer, LegacySubscriptionSerializer])
CUSTOMER_SUBSCRIPTIONS = inline_serializer("CustomerSubscriptionCollection", fields={
    "totalCount": serializers.IntegerField(),
    "items": PolymorphicProxySerializer(component_name="SubscriptionOrLegacySubscriptionItem",
                                        resource_type_field_name=None,
                                        serializers=[SubscriptionSerializer, LegacySubscriptionSerializer], many=True),
    "links": serializers.DictField(),
    "continuationToken": serializers.CharField(required=False),
    "attributes": serializers.DictField(),
})


class SubscriptionListView(PlanView):
    @pc_schema(ok=CUSTOMER_SUBSCRIPTIONS, errors=(400, 401, 403, 404, 429),
               parameters=[CUSTOMER_ID, SIZE, SEEK, CONTINUATION,
                           OpenApiParameter("order_id", str, description="Only the order's subscriptions"),
                           OpenApiParameter("mpn_id", str, description="Only those of this reseller of record "
                                                                       "(PartnerID)")],
               summary="The customer's Azure plans and legacy Azure (MS-AZR-0145P) subscriptions as Partner Center "
                       "subscriptions (seek paging, as customers)",
               description="The Azure plans first, then the legacy subscriptions oldest first (suspended once moved "
                           "to the Azure plan; extensions transitionedAt, azurePlanId, azureSubscriptionId).",
               tags=PLAN_TAGS, operation_id="customers_subscriptions_list")
    def get(self, request, customer_id):
        customer = self.customer(request, customer_id)
        params = query_params(request)
        order_id, partner_id = params.get("order_id", ""), params.get("mpn_id", "")
        actor = self.actor(request)
        parts = [(selectors.plan_rows(actor=actor, customer=customer, order_id=order_id, partner_id=partner_id),
                  selectors.PLAN_ORDERING),
                 (legacy_selectors.legacy_rows(actor=actor, customer=customer, order_id=order_id,
                                               partner_id=partner_id), legacy_selectors.LEGACY_ORDERING)]
        rows, token = seek_chain(request, parts, scope=f"subscriptions:{customer.pk}:{order_id}:{partner_id}")
        items = [LegacySubscriptionSerializer(row).data if isinstance(row, LegacySubscription)
                 else SubscriptionSerializer(row).data for row in rows]
        return Response(collection(items, request, next_token=token))


class SubscriptionDetailView(PlanView):
    required_permissions = {"PATCH": (Perm.PURCHASE, Perm.SUSPEND_AZURE_PLAN)}

    def plan_or_legacy(self, request, customer_id, subscription_id):
        """The Azure plan, else the legacy subscription with this id (neither: 404 20003)."""
        customer = self.customer(request, customer_id)
        try:
            return selectors.plan_get(actor=self.actor(request), customer=customer, subscription_id=subscription_id)
        except SubscriptionNotFound as not_found:
            try:
                return legacy_selectors.legacy_get(actor=self.actor(request), customer=customer,
                                                   subscription_id=subscription_id)
            except NotFound:
                raise not_found from None

    @pc_schema(ok=SUBSCRIPTION_OR_LEGACY, errors=(401, 403, 404, 429), parameters=[CUSTOMER_ID, SUBSCRIPTION_ID],
               summary="One Azure plan or legacy Azure subscription (attributes.etag for If-Match)",
               description="404: 1000 (customer), 20003 (subscription).", tags=PLAN_TAGS,
               operation_id="customers_subscriptions_retrieve")
    def get(self, request, customer_id, subscription_id):
        found = self.plan_or_legacy(request, customer_id, subscription_id)
        if isinstance(found, LegacySubscription):
            return Response(LegacySubscriptionSerializer(found).data)
        return Response(SubscriptionSerializer(found).data)

    @pc_schema(ok=SUBSCRIPTION_OR_LEGACY, request=SubscriptionPatchSerializer, errors=(400, 401, 403, 404, 412, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID, IF_MATCH],
               summary="Rename, suspend or reactivate the Azure plan, or rename a legacy Azure subscription (the "
                       "whole subscription as read, or only friendlyName / status)",
               description="status active or suspended (a change needs Admin agent). 403: 900115 (suspending while "
                           "Azure subscriptions are active: cancel them first); 400: 800096 (status not changeable, "
                           "also any status change of a legacy subscription), 2011 (the plan was cancelled), 800002 "
                           "(friendlyName 1-128 characters; a legacy subscription already moved); 412: 2055. Renaming "
                           "a legacy subscription needs Global admin or Admin agent.",
               tags=PLAN_TAGS, operation_id="customers_subscriptions_partial_update")
    def patch(self, request, customer_id, subscription_id):
        found = self.plan_or_legacy(request, customer_id, subscription_id)
        data = self.validated(SubscriptionPatchSerializer, request)
        name, status = data.get("friendlyName"), data.get("status")
        if name is None and status is None:
            raise InvalidInput("Send friendlyName and/or status (the whole subscription as read is accepted).",
                               field="status")
        if isinstance(found, LegacySubscription):
            return self.legacy_patch(request, found, name, status)
        plan = plan_services.plan_update(actor=self.actor(request), plan=found, expected_etag=self.if_match(request),
                                    friendly_name=name, status=status.strip().lower() if status is not None else None)
        return Response(SubscriptionSerializer(self.plan(request, customer_id, plan.public_id)).data)

    def legacy_patch(self, request, legacy, name, status):
        if status is not None and status.strip().lower() != legacy.status:
            raise InvalidInput("The status of a legacy Azure subscription can't be changed here: transition it to the "
                               "Azure plan (POST /v1/productUpgrades).", code=800096,
                               error_name="SubscriptionStatusNotChangeable", field="status")
        if name is not None and name.strip() != legacy.friendly_name:
            legacy_rename(actor=self.actor(request), legacy=legacy, name=name, expected_etag=self.if_match(request))
        else:
            check_etag(legacy, self.if_match(request))
        legacy = legacy_selectors.legacy_get(actor=self.actor(request), customer=legacy.customer,
                                             subscription_id=legacy.public_id)
        return Response(LegacySubscriptionSerializer(legacy).data)




class SubscriptionProvisioningStatusSerializer(serializers.Serializer):
    skuId = serializers.CharField(help_text="The catalog SKU id (0001 for the Azure plan; MS-AZR-0145P for legacy)")
    status = serializers.ChoiceField(choices=["success", "pending", "failed"])
    quantity = serializers.IntegerField()
    endDate = serializers.DateTimeField(allow_null=True, help_text="null: a usage-based subscription has no term end")
    attributes = serializers.DictField()


def provisioning_status(found) -> dict:
    """Partner Center's SubscriptionProvisioningStatus of an Azure plan or a legacy subscription."""
    if isinstance(found, LegacySubscription):
        sku, status = "MS-AZR-0145P", "success"
    else:
        parts = found.offer_id.split(":")
        sku = parts[1] if len(parts) > 1 else found.offer_id
        if found.status == "pending":
            status = "failed" if found.order.status == "failed" else "pending"
        else:
            status = "success"
    return {"skuId": sku, "status": status, "quantity": 1, "endDate": None,
            "attributes": {"objectType": "SubscriptionProvisioningStatus"}}


class SubscriptionProvisioningStatusView(PlanView):
    plan_or_legacy = SubscriptionDetailView.plan_or_legacy

    @pc_schema(ok=SubscriptionProvisioningStatusSerializer, errors=(401, 403, 404, 429),
               parameters=[CUSTOMER_ID, SUBSCRIPTION_ID],
               summary="Provisioning status of an Azure plan or legacy Azure subscription",
               description="status pending while the plan's order is provisioned, success once active (also "
                           "suspended or cancelled: it was provisioned), failed when its order failed. quantity is 1; "
                           "endDate is null (usage-based, no term). 404: 1000 (customer), 20003 (subscription).",
               tags=PLAN_TAGS, operation_id="customers_subscriptions_provisioningstatus_retrieve")
    def get(self, request, customer_id, subscription_id):
        return Response(provisioning_status(self.plan_or_legacy(request, customer_id, subscription_id)))
