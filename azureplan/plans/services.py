"""Every write of the Azure plan: its status and name, the Azure subscriptions under it and their role
assignments, and the partner earned credit status that follows from them (domain.md §2.8-§2.12, §3.5)."""

import re
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.choices import Tier
from accounts.models import Organisation
from accounts.permissions import Perm, require
from core.api.etag import check_etag
from core.audit import audit_record
from core.casing import match_choice
from core.errors import InvalidInput
from core.status import status_move
from core.tenancy import get_for_actor_or_404
from customers.registry import ActiveItems

from .. import errors
from ..choices import (
    AzureSubscriptionStatus,
    CancellationReason,
    PlanStatus,
    PrincipalType,
)
from ..models import AzurePlan, AzureRole, AzureSubscription, RoleAssignment

RETENTION = timedelta(days=90)
MAX_CANCEL_PER_SUBMIT = 10
AOBO_ROLE = "Owner"


def active_azure_items(customer) -> list[ActiveItems]:
    """Azure plans not cancelled (pending, active or suspended) and active Azure subscriptions: they block removing
    the reseller relationship; said as the customer page shows them."""
    plans = dict(AzurePlan.objects.filter(customer=customer).exclude(status=PlanStatus.CANCELLED)
                 .values_list("status").annotate(n=Count("pk")).order_by())
    subscriptions = AzureSubscription.objects.filter(plan__customer=customer,
                                                     status=AzureSubscriptionStatus.ACTIVE).count()
    said = {
        PlanStatus.ACTIVE: lambda n: ngettext("an active Azure plan", "%(n)s active Azure plans", n),
        PlanStatus.SUSPENDED: lambda n: ngettext("a suspended Azure plan", "%(n)s suspended Azure plans", n),
        PlanStatus.PENDING: lambda n: ngettext("an Azure plan being provisioned",
                                               "%(n)s Azure plans being provisioned", n),
    }
    items = [ActiveItems(plans[status], said[status](plans[status]) % {"n": plans[status]})
             for status in (PlanStatus.ACTIVE, PlanStatus.SUSPENDED, PlanStatus.PENDING) if plans.get(status)]
    if subscriptions:
        items.append(ActiveItems(subscriptions, ngettext("an active Azure subscription",
                                                         "%(n)s active Azure subscriptions", subscriptions)
                                 % {"n": subscriptions}))
    return items



def reseller_of_record(organisation, value, line):
    """The indirect reseller an indirect provider names for a line (PartnerID or tenant id). `line` None: not a
    cart or order line (a new Azure subscription's reseller), so the messages name no line."""
    value = (str(value).strip() if value else "")
    where = {} if line is None else {"parameters": {"lineItem": line}}

    def refuse(message):
        prefix = "" if line is None else _("Line %(n)s: ") % {"n": line}
        return errors.CartItemError(prefix + message, field="participants", **where)

    if organisation.tier == Tier.INDIRECT_PROVIDER:
        if not value:
            raise refuse(_("an indirect provider names the indirect reseller of record (participants "
                           "transaction_reseller / partnerIdOnRecord)."))
        reseller = organisation.resellers.filter(partner_id=value).first()
        if reseller is None:
            try:
                reseller = organisation.resellers.filter(tenant_id=value).first()
            except ValidationError:  # a malformed UUID is simply not one of them
                reseller = None
        if reseller is None:
            raise refuse(_("%(value)s is not one of your indirect resellers.") % {"value": value})
        return reseller
    if value:
        raise refuse(_("only an indirect provider names a reseller of record."))
    return None


# ---------------------------------------------------------------- the Azure plan


def plan_move_refused(old, new):
    """The answer to a plan status move PLAN_TRANSITIONS refuses (core.status): 400/800096."""
    return errors.SubscriptionStatusNotChangeable(
        _("The Azure plan cannot go from %(old)s to %(new)s.") % {"old": PlanStatus(old).label,
                                                                  "new": PlanStatus(new).label}, field="status")


def move_plan(plan, status, *, fields=()):
    """Move the plan by PLAN_TRANSITIONS under its row lock, saving `fields` with it; 400/800096 when refused."""
    return status_move(plan, status, fields=fields, error=plan_move_refused)


def plan_update(*, actor, plan, expected_etag=None, friendly_name=None, status=None) -> AzurePlan:
    """PATCH of the Azure plan: friendly name, suspend (only with no active Azure subscription: 900115),
    reactivate. Every change is audited. A `status` equal to the current one is no status change (a
    Partner Center PATCH sends the whole subscription back), so it does not need the suspend role."""
    require(actor, Perm.SUSPEND_AZURE_PLAN if status is not None and status != plan.status else Perm.PURCHASE)
    with transaction.atomic():
        plan = get_for_actor_or_404(AzurePlan.objects.select_for_update(of=("self",)).select_related("customer"),
                                    actor, pk=plan.pk)
        if status is not None and status != plan.status:
            require(actor, Perm.SUSPEND_AZURE_PLAN)  # it changed since the caller read it
        check_etag(plan, expected_etag)
        if plan.status == PlanStatus.CANCELLED:
            raise errors.SubscriptionStatusNotChangeable(_("The Azure plan was cancelled; it cannot be changed."),
                                                         code=2011, field="status")
        if plan.status == PlanStatus.PENDING:
            raise errors.SubscriptionStatusNotChangeable(
                _("The Azure plan is still being provisioned; change it once its order completed."), code=800081,
                field="status")
        changes = {}
        if friendly_name is not None:
            name = friendly_name.strip()
            if not name or len(name) > 128:
                raise InvalidInput(_("friendlyName is 1 to 128 characters."), field="friendlyName")
            if name != plan.friendly_name:
                changes["friendly_name"] = [plan.friendly_name, name]
                plan.friendly_name = name
        if status is not None and status != plan.status:
            if status not in (PlanStatus.ACTIVE, PlanStatus.SUSPENDED):
                raise errors.SubscriptionStatusNotChangeable(_("status must be active or suspended."), field="status")
            if status == PlanStatus.SUSPENDED:
                active = plan.azure_subscriptions.filter(status=AzureSubscriptionStatus.ACTIVE).count()
                if active:
                    raise errors.PlanHasActiveSubscriptions(
                        _("The Azure plan has %(n)s active Azure subscription(s): cancel them first, then suspend "
                          "the plan.") % {"n": active}, parameters={"activeAzureSubscriptions": active})
                plan.suspended_at = timezone.now()
            changes["status"] = [plan.status, status]
        if not changes:
            return plan
        plan.version += 1
        if "status" in changes:
            move_plan(plan, status, fields=("friendly_name", "suspended_at", "version"))
        else:
            plan.save()
        action = {"suspended": "azure_plan.suspended", "active": "azure_plan.reactivated"}.get(
            status if "status" in changes else "", "azure_plan.renamed")
        audit_record(actor=actor, action=action, obj=plan, subject=plan.customer, data={"changes": changes})
    return plan


def plan_cancel(*, actor, plan) -> AzurePlan:
    """A Global admin cancels a plan that has no active Azure subscription."""
    require(actor, Perm.CANCEL_AZURE_PLAN)
    with transaction.atomic():
        plan = get_for_actor_or_404(AzurePlan.objects.select_for_update(of=("self",)).select_related("customer"),
                                    actor, pk=plan.pk)
        if plan.status == PlanStatus.PENDING:
            raise errors.SubscriptionStatusNotChangeable(
                _("The Azure plan is still being provisioned; cancel it once its order completed."), code=800081,
                field="status")
        if plan.status == PlanStatus.CANCELLED:
            raise plan_move_refused(plan.status, PlanStatus.CANCELLED)
        active = plan.azure_subscriptions.filter(status=AzureSubscriptionStatus.ACTIVE).count()
        if active:
            raise errors.PlanHasActiveSubscriptions(
                _("The Azure plan has %(n)s active Azure subscription(s): cancel them first.") % {"n": active},
                parameters={"activeAzureSubscriptions": active})
        plan.cancelled_at = timezone.now()
        plan.version += 1
        move_plan(plan, PlanStatus.CANCELLED, fields=("cancelled_at", "version"))
        audit_record(actor=actor, action="azure_plan.cancelled", obj=plan, subject=plan.customer)
    return plan


# ---------------------------------------------------------------- Azure subscriptions


def admin_agents_principal(organisation) -> tuple[str, str]:
    """(principal id, principal name) of a partner's Admin agents group, the foreign principal that gets
    Owner (AOBO) on the Azure subscriptions the partner creates."""
    # Principals are Entra object ids (GUIDs); the group's id is derived from the partner's tenant so it is stable.
    return str(uuid.uuid5(organisation.tenant_id, "AdminAgents")), f"Foreign Principal for '{organisation.name}'"


def principal_id_check(principal_id):
    """A principal id is the object id (a GUID) of a user, group or service principal in Microsoft Entra ID."""
    try:
        return str(uuid.UUID(str(principal_id or "").strip()))
    except ValueError:
        raise InvalidInput(_("principalId must be the object id (a GUID such as "
                             "3fa85f64-5717-4562-b3fc-2c963f66afa6) of a user, group or service principal in "
                             "Microsoft Entra ID."), field="principalId") from None


def other_partner_id_check(partner):
    """Another partner's principal names that partner's PartnerID (6 to 10 digits): PEC and access reviews need it."""
    partner = str(partner or "").strip()
    if not re.fullmatch(r"\d{6,10}", partner):
        raise InvalidInput(_("A principal of another partner needs that partner's PartnerID (6 to 10 digits)."),
                           field="partnerId")
    return partner


def create_azure_subscription(*, actor, plan, name, reseller, created_by_id=None):
    sub = AzureSubscription.objects.create(plan=plan, friendly_name=name, reseller=reseller,
                                           created_by_id=created_by_id)
    organisation = Organisation.objects.get(pk=plan.customer.organisation_id)
    principal_id, principal_name = admin_agents_principal(organisation)
    RoleAssignment.objects.create(
        azure_subscription=sub, principal_type=PrincipalType.PARTNER_ADMIN_AGENTS, principal_id=principal_id,
        principal_name=principal_name, partner=organisation, role=AzureRole.objects.get(name=AOBO_ROLE),
        created_by_id=created_by_id)
    audit_record(actor=actor, action="azure_subscription.created", obj=sub, subject=plan.customer,
                 organisation_id=organisation.pk, data={"name": name})
    return sub


def _clean_name(name):
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise InvalidInput(_("The Azure subscription name is 1 to 64 characters."), field="friendlyName")
    return name


def azure_subscription_create(*, actor, plan, name, reseller=None) -> AzureSubscription:
    """An Admin agent adds an Azure subscription to an active plan (the partner's Admin agents get Owner)."""
    require(actor, Perm.CREATE_AZURE_SUBSCRIPTION)
    name = _clean_name(name)
    with transaction.atomic():
        plan = get_for_actor_or_404(AzurePlan.objects.select_for_update(of=("self",)).select_related("customer"),
                                    actor, pk=plan.pk)
        if plan.status != PlanStatus.ACTIVE:
            raise errors.SubscriptionStatusNotChangeable(
                _("The Azure plan is %(status)s: Azure subscriptions are added only to an active plan.")
                % {"status": plan.get_status_display().lower()}, code=800091, field="status")
        organisation = Organisation.objects.get(pk=plan.customer.organisation_id)
        reseller_org = plan.reseller
        if reseller:
            if actor.organisation_id != organisation.pk:
                raise InvalidInput(_("Only the selling partner names the reseller of record."), field="partnerIdOnRecord")
            reseller_org = reseller_of_record(organisation, reseller, None)
        return create_azure_subscription(actor=actor, plan=plan, name=name, reseller=reseller_org,
                                          created_by_id=actor.user_id)


def _locked_subscription(actor, sub):
    return get_for_actor_or_404(
        AzureSubscription.objects.select_for_update(of=("self",)).select_related("plan__customer"), actor, pk=sub.pk)


def subscription_move_refused(old, new):
    """The answer to an Azure subscription status move AZURE_SUBSCRIPTION_TRANSITIONS refuses: 400/900337."""
    return errors.CannotReactivate(
        _("The Azure subscription is %(status)s: it cannot become %(new)s.") % {
            "status": AzureSubscriptionStatus(old).label.lower(), "new": AzureSubscriptionStatus(new).label.lower()})


def move_subscription(sub, status, *, fields=()):
    """Move an Azure subscription by AZURE_SUBSCRIPTION_TRANSITIONS under its row lock, saving `fields` with it."""
    return status_move(sub, status, fields=fields, error=subscription_move_refused)


def azure_subscription_rename(*, actor, sub, name, expected_etag=None) -> AzureSubscription:
    require(actor, Perm.CREATE_AZURE_SUBSCRIPTION)
    name = _clean_name(name)
    with transaction.atomic():
        sub = _locked_subscription(actor, sub)
        check_etag(sub, expected_etag)
        if sub.status == AzureSubscriptionStatus.DELETED:
            raise errors.EntitlementNotFound()
        old = sub.friendly_name
        sub.friendly_name = name
        sub.version += 1
        sub.save()
        audit_record(actor=actor, action="azure_subscription.renamed", obj=sub, subject=sub.plan.customer,
                     data={"from": old, "to": name})
    return sub


def azure_subscription_cancel(*, actor, sub, reason) -> AzureSubscription:
    """Needs Global admin AND Admin agent; one subscription per call; deleted 90 days later."""
    require(actor, Perm.CANCEL_AZURE_SUBSCRIPTION)
    reason = match_choice(reason, CancellationReason.values) or reason  # CustomerRequest = customer_request
    if reason not in CancellationReason.values:
        raise errors.InvalidCancellationReason(
            _("cancellationReason must be one of: %(reasons)s.") % {"reasons": ", ".join(CancellationReason.values)},
            field="cancellationReason")
    with transaction.atomic():
        sub = _locked_subscription(actor, sub)
        if sub.status != AzureSubscriptionStatus.ACTIVE:
            raise errors.SubscriptionStatusNotChangeable(_("This Azure subscription is not active."),
                                                         field="status")
        now = timezone.now()
        sub.cancelled_at = now
        sub.cancellation_reason = reason
        sub.delete_after = now + RETENTION
        sub.version += 1
        move_subscription(sub, AzureSubscriptionStatus.CANCELLED,
                          fields=("cancelled_at", "cancellation_reason", "delete_after", "version"))
        audit_record(actor=actor, action="azure_subscription.cancelled", obj=sub, subject=sub.plan.customer,
                     data={"reason": reason, "delete_after": sub.delete_after.isoformat()})
    return sub


def azure_subscriptions_cancel(*, actor, subs, reason) -> list[AzureSubscription]:
    """The page's bulk cancel: at most 10 per submit (Partner Center's limit), all or none."""
    if len(subs) > MAX_CANCEL_PER_SUBMIT:
        raise errors.TooManyInOneSubmit(
            _("Cancel at most %(max)s Azure subscriptions at a time.") % {"max": MAX_CANCEL_PER_SUBMIT},
            field="subscriptions")
    if not subs:
        raise InvalidInput(_("Choose at least one Azure subscription."), field="subscriptions")
    with transaction.atomic():
        return [azure_subscription_cancel(actor=actor, sub=sub, reason=reason) for sub in subs]


def azure_subscription_reactivate(*, actor, sub) -> AzureSubscription:
    """Reactivate a cancelled Azure subscription while its plan is active and within retention."""
    require(actor, Perm.REACTIVATE_AZURE_SUBSCRIPTION)
    with transaction.atomic():
        # The plan first (as azure_subscription_create does): a suspend or cancel of the plan waits for us.
        plan_id = get_for_actor_or_404(AzureSubscription.objects.all(), actor, pk=sub.pk).plan_id
        AzurePlan.objects.select_for_update().get(pk=plan_id)
        sub = _locked_subscription(actor, sub)
        if sub.plan.status != PlanStatus.ACTIVE:
            raise errors.CannotReactivate(_("The Azure plan is not active: reactivate the plan first."))
        if sub.status != AzureSubscriptionStatus.CANCELLED or (sub.delete_after and sub.delete_after <= timezone.now()):
            raise errors.CannotReactivate(_("Only a cancelled Azure subscription still within its 90 days of "
                                            "retention can be reactivated."))
        sub.cancelled_at = None
        sub.cancellation_reason = ""
        sub.delete_after = None
        sub.version += 1
        move_subscription(sub, AzureSubscriptionStatus.ACTIVE,
                          fields=("cancelled_at", "cancellation_reason", "delete_after", "version"))
        audit_record(actor=actor, action="azure_subscription.reactivated", obj=sub, subject=sub.plan.customer)
    return sub


def delete_expired_azure_subscriptions(now=None) -> int:
    """The periodic task: cancelled Azure subscriptions are deleted 90 days after cancellation."""
    from accounts.actors import system_actor

    now = now or timezone.now()
    deleted = 0
    due = AzureSubscription.objects.filter(status=AzureSubscriptionStatus.CANCELLED, delete_after__lte=now)
    for sub_id in due.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            sub = (AzureSubscription.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("plan__customer").filter(pk=sub_id, status=AzureSubscriptionStatus.CANCELLED,
                                                            delete_after__lte=now).first())
            if sub is None:
                continue
            sub.deleted_at = now
            sub.version += 1
            move_subscription(sub, AzureSubscriptionStatus.DELETED, fields=("deleted_at", "version"))
            RoleAssignment.objects.filter(azure_subscription=sub, removed_at__isnull=True).update(removed_at=now)
            organisation = Organisation.objects.get(pk=sub.plan.customer.organisation_id)
            audit_record(actor=system_actor(organisation, label="retention"), action="azure_subscription.deleted",
                         obj=sub, subject=sub.plan.customer)
            deleted += 1
    return deleted


# ---------------------------------------------------------------- role assignments and PEC


def role_assignment_add(*, actor, sub, principal_type, principal_id, principal_name, role, resource_group="",
                        partner=None) -> RoleAssignment:
    require(actor, Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS)
    principal_type = match_choice(principal_type, PrincipalType.values) or principal_type
    if principal_type not in PrincipalType.values:
        raise InvalidInput(_("principalType must be one of: %(types)s.") % {"types": ", ".join(PrincipalType.values)},
                           field="principalType")
    principal_id, principal_name = principal_id_check(principal_id), (principal_name or "").strip()
    if not principal_name or len(principal_name) > 200:
        raise InvalidInput(_("principalName is 1 to 200 characters."), field="principalName")
    role_row = AzureRole.objects.filter(name=(role or "").strip()).first()
    if role_row is None:
        raise InvalidInput(_("%(role)s is not a known Azure built-in role.") % {"role": role}, field="roleName")
    resource_group = (resource_group or "").strip()
    if len(resource_group) > 90:
        raise InvalidInput(_("resourceGroup is at most 90 characters."), field="resourceGroup")
    partner_org = None
    if principal_type == PrincipalType.OTHER_PARTNER:
        partner = other_partner_id_check(partner)
    if principal_type in (PrincipalType.INDIRECT_RESELLER, PrincipalType.OTHER_PARTNER, PrincipalType.PARTNER_ADMIN_AGENTS):
        partner_org = Organisation.objects.filter(partner_id=str(partner or "").strip()).first() if partner else None
        if principal_type == PrincipalType.PARTNER_ADMIN_AGENTS:
            partner_org = Organisation.objects.get(pk=actor.organisation_id)
        if partner_org is None and principal_type != PrincipalType.OTHER_PARTNER:
            raise InvalidInput(_("partnerId must be the PartnerID of that partner."), field="partnerId")
    with transaction.atomic():
        sub = _locked_subscription(actor, sub)
        if sub.status != AzureSubscriptionStatus.ACTIVE:
            raise errors.SubscriptionStatusNotChangeable(_("Roles are assigned on active Azure subscriptions only."),
                                                         field="status")
        billing = Organisation.objects.get(pk=sub.plan.customer.organisation_id)
        if partner_org is not None:
            own = partner_org.pk == billing.pk or partner_org.provider_id == billing.pk
            if principal_type == PrincipalType.OTHER_PARTNER and own:
                raise InvalidInput(_("That PartnerID is yours or one of your resellers': use the Admin agents or the "
                                     "indirect reseller principal type."), field="partnerId")
            if principal_type == PrincipalType.INDIRECT_RESELLER and partner_org.provider_id != billing.pk:
                raise InvalidInput(_("That PartnerID is not one of your indirect resellers."), field="partnerId")
        try:
            with transaction.atomic():
                assignment = RoleAssignment.objects.create(
                    azure_subscription=sub, resource_group=resource_group, principal_type=principal_type,
                    principal_id=principal_id, principal_name=principal_name, partner=partner_org, role=role_row,
                    created_by_id=actor.user_id)
        except IntegrityError:
            raise InvalidInput(_("This principal already holds this role at this scope."), field="roleName") from None
        audit_record(actor=actor, action="role_assignment.added", obj=assignment, subject=sub.plan.customer,
                     data={"role": role_row.name, "principal": principal_name, "scope": assignment.scope})
    return assignment


def role_assignment_remove(*, actor, assignment, removed_at=None) -> RoleAssignment:
    """End a role assignment (the row stays, with its end, for partner earned credit day by day). `removed_at`
    records a removal that happened earlier (the customer removed the assignment in Azure and the partner records
    when): not in the future, not before the grant; default now. Removing an ended assignment changes nothing."""
    require(actor, Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS)
    now = timezone.now()
    removed_at = removed_at or now
    if removed_at > now:
        raise InvalidInput(_("A role assignment cannot be removed in the future."), field="removedAt")
    with transaction.atomic():
        assignment = get_for_actor_or_404(
            RoleAssignment.objects.select_for_update(of=("self",)).select_related("azure_subscription__plan__customer"),
            actor, pk=assignment.pk)
        if assignment.removed_at is None:
            if removed_at < assignment.granted_at:
                raise InvalidInput(_("A role assignment cannot be removed before it was granted."), field="removedAt")
            assignment.removed_at = removed_at
            assignment.save(update_fields=["removed_at"])
            data = {"role": assignment.role_id, "principal": assignment.principal_name}
            if removed_at != now:
                data["removedAt"] = removed_at.isoformat()
            audit_record(actor=actor, action="role_assignment.removed", obj=assignment,
                         subject=assignment.azure_subscription.plan.customer, data=data)
    return assignment


def pec_status(sub, at=None):
    """Whether the billing partner (or its reseller of record) holds a PEC-eligible role on the Azure
    subscription at `at` (now by default): (eligible, reason). domain.md §3.5: any eligible role held by
    the transacting partner or its reseller of record earns PEC; a third partner's access does not."""
    at = at or timezone.now()
    if sub.status != AzureSubscriptionStatus.ACTIVE:
        return False, _("The Azure subscription is not active.")
    billing_partner = sub.plan.customer.organisation_id
    reseller = sub.plan.reseller_id
    held = [a for a in sub.role_assignments.all()
            if a.granted_at <= at and (a.removed_at is None or a.removed_at > at)]
    ours = [a for a in held if a.partner_id in {billing_partner, reseller} - {None}]
    eligible = [a for a in ours if a.role.pec_eligible]
    if eligible:
        a = eligible[0]
        return True, _("%(principal)s holds %(role)s.") % {"principal": a.principal_name, "role": a.role_id}
    if ours:
        return False, _("Your organisation holds only read-only roles (%(roles)s), which do not earn partner earned "
                        "credit.") % {"roles": ", ".join(sorted({a.role_id for a in ours}))}
    if held:
        return False, _("Only other principals (the customer or another partner) hold roles here; add the Admin agents "
                        "group as Owner or Contributor.")
    return False, _("No one holds a role here: the foreign principal was removed. Ask the customer to add your Admin "
                    "agents group back as Owner.")
