"""The permission matrix (domain.md §1.3), in one place, used by services, the API and the pages.

Each permission names the roles that may do it (`any_of`), roles that must all be held at once
(`all_of`, e.g. cancelling an Azure subscription needs Global admin AND Admin agent), the partner
tiers it is open to, and whether application credentials (App only) may use it.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import PermissionDenied

from .choices import Role, Tier

GA, UMA, AA, SA, BA, HA = (Role.GLOBAL_ADMIN, Role.USER_MANAGEMENT_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT,
                           Role.BILLING_ADMIN, Role.HELPDESK_AGENT)
ALL_ROLES = frozenset(Role)
PROVIDING_TIERS = frozenset({Tier.DIRECT_BILL, Tier.INDIRECT_PROVIDER})


class Perm(StrEnum):
    # Organisation and users (this issue)
    VIEW_ORGANISATION = "view_organisation"
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"
    MANAGE_GLOBAL_ADMINS = "manage_global_admins"
    MANAGE_APP_CREDENTIALS = "manage_app_credentials"
    VIEW_AUDIT_LOG = "view_audit_log"
    # Customers, relationships, agreements
    VIEW_CUSTOMERS = "view_customers"
    ADD_CUSTOMER = "add_customer"
    EDIT_CUSTOMER = "edit_customer"
    REQUEST_RESELLER_RELATIONSHIP = "request_reseller_relationship"
    REMOVE_RESELLER_RELATIONSHIP = "remove_reseller_relationship"
    ATTEST_MCA = "attest_mca"
    # Azure plan
    VIEW_AZURE_PLAN = "view_azure_plan"
    PURCHASE = "purchase"
    SUSPEND_AZURE_PLAN = "suspend_azure_plan"
    CANCEL_AZURE_PLAN = "cancel_azure_plan"
    CREATE_AZURE_SUBSCRIPTION = "create_azure_subscription"
    MANAGE_AZURE_ROLE_ASSIGNMENTS = "manage_azure_role_assignments"
    CANCEL_AZURE_SUBSCRIPTION = "cancel_azure_subscription"
    REACTIVATE_AZURE_SUBSCRIPTION = "reactivate_azure_subscription"
    TRANSITION_LEGACY_AZURE = "transition_legacy_azure"
    IMPORT_LEGACY_AZURE = "import_legacy_azure"
    SET_SPENDING_BUDGET = "set_spending_budget"
    TRANSFER_AZURE_PLAN = "transfer_azure_plan"
    # Pricing and billing (the billing app: pricing, usage, rating, invoicing)
    VIEW_PRICING = "view_pricing"
    VIEW_PRICE_SHEET_API = "view_price_sheet_api"
    IMPORT_PRICING = "import_pricing"
    VIEW_INVOICES = "view_invoices"
    VIEW_USAGE_RECON = "view_usage_recon"
    VIEW_PEC = "view_pec"
    MANAGE_CREDIT_LIMIT = "manage_credit_limit"
    RUN_BILLING = "run_billing"
    RECORD_PAYMENTS = "record_payments"
    ISSUE_CREDIT_NOTES = "issue_credit_notes"
    VIEW_SPEND = "view_spend"
    IMPORT_USAGE = "import_usage"


@dataclass(frozen=True)
class Rule:
    any_of: frozenset
    all_of: frozenset = frozenset()
    tiers: frozenset = frozenset(Tier)
    app_only_allowed: bool = True


def _r(*roles, all_of=(), tiers=None, app_only_allowed=True):
    return Rule(frozenset(roles), frozenset(all_of), frozenset(tiers) if tiers else frozenset(Tier), app_only_allowed)


MATRIX: dict[Perm, Rule] = {
    Perm.VIEW_ORGANISATION: _r(*ALL_ROLES),
    Perm.VIEW_USERS: _r(GA, UMA),
    Perm.MANAGE_USERS: _r(GA, UMA, app_only_allowed=False),
    Perm.MANAGE_GLOBAL_ADMINS: _r(GA, app_only_allowed=False),
    Perm.MANAGE_APP_CREDENTIALS: _r(GA, app_only_allowed=False),
    Perm.VIEW_AUDIT_LOG: _r(GA),
    Perm.VIEW_CUSTOMERS: _r(GA, UMA, AA, SA, HA, BA),
    Perm.ADD_CUSTOMER: _r(GA, UMA, AA, SA, tiers=PROVIDING_TIERS),
    Perm.EDIT_CUSTOMER: _r(GA, AA, SA, HA),
    Perm.REQUEST_RESELLER_RELATIONSHIP: _r(AA, SA, app_only_allowed=False),
    Perm.REMOVE_RESELLER_RELATIONSHIP: _r(GA),
    Perm.ATTEST_MCA: _r(AA, SA, tiers=PROVIDING_TIERS, app_only_allowed=False),
    Perm.VIEW_AZURE_PLAN: _r(GA, AA, SA),
    Perm.PURCHASE: _r(GA, UMA, AA, SA),
    Perm.SUSPEND_AZURE_PLAN: _r(AA),
    Perm.CANCEL_AZURE_PLAN: _r(GA),
    Perm.CREATE_AZURE_SUBSCRIPTION: _r(AA),
    Perm.MANAGE_AZURE_ROLE_ASSIGNMENTS: _r(AA),
    Perm.CANCEL_AZURE_SUBSCRIPTION: _r(all_of=(GA, AA)),
    Perm.REACTIVATE_AZURE_SUBSCRIPTION: _r(all_of=(GA, AA)),
    Perm.TRANSITION_LEGACY_AZURE: _r(*ALL_ROLES, tiers=PROVIDING_TIERS),
    # Extension: bringing the legacy estate in (a CSV import) is the estate managers' (Global admin, Admin agent).
    Perm.IMPORT_LEGACY_AZURE: _r(GA, AA, tiers=PROVIDING_TIERS),
    # domain.md §1.3 names the Admin agent; the Global admin, who holds every other right over the customers' money
    # (invoices, spend), sets it too (issue 12).
    Perm.SET_SPENDING_BUDGET: _r(GA, AA),
    Perm.TRANSFER_AZURE_PLAN: _r(AA, tiers={Tier.DIRECT_BILL}),
    Perm.VIEW_PRICING: _r(*ALL_ROLES),  # the pages
    Perm.VIEW_PRICE_SHEET_API: _r(GA, AA, SA, app_only_allowed=False),  # price sheet / FX API: App+User only
    # Extension: price lists and FX rates are the install's reference data; the Global admins of the partners that
    # buy from Microsoft (direct-bill partners, indirect providers) bring them in.
    Perm.IMPORT_PRICING: _r(GA, tiers=PROVIDING_TIERS),
    Perm.VIEW_INVOICES: _r(AA, BA, GA),
    Perm.VIEW_USAGE_RECON: _r(AA, BA, SA, HA),
    Perm.VIEW_PEC: _r(GA, UMA, AA, BA, SA),
    Perm.MANAGE_CREDIT_LIMIT: _r(BA),
    # Invoicing (issue 13): a billing run on demand is the Billing admin's or the Global admin's; payments and credit
    # notes (corrections of issued invoices) are the Billing admin's.
    Perm.RUN_BILLING: _r(GA, BA),
    Perm.RECORD_PAYMENTS: _r(BA),
    Perm.ISSUE_CREDIT_NOTES: _r(BA),
    # Azure spending (usage summaries and records, unbilled daily rated usage, budgets read): the roles that see
    # invoices and recon files (domain.md §1.3 "Invoices and recon files").
    Perm.VIEW_SPEND: _r(GA, AA, BA),
    # Usage (domain.md §1.3): the selling partner's Global admins and Billing admins bring Microsoft's daily usage in
    # (reading it is VIEW_SPEND).
    Perm.IMPORT_USAGE: _r(GA, BA, tiers=PROVIDING_TIERS),
}


def role_labels(roles) -> str:
    return ", ".join(str(Role(r).label) for r in sorted(roles, key=list(Role).index))


def allowed(actor, perm: Perm, *, tier=None) -> bool:
    """May `actor` (core.actor.Actor) do `perm`? `tier` is the actor organisation's tier when known."""
    rule = MATRIX[Perm(perm)]
    if actor is None:
        return False
    tier = tier or actor.tier or None
    if actor.is_app_only and not rule.app_only_allowed:
        return False
    if tier is not None and tier not in rule.tiers:
        return False
    roles = set(actor.roles)
    if rule.all_of and not rule.all_of <= roles:
        return False
    if rule.any_of and not (rule.any_of & roles):
        return False
    return True


def requirement_text(perm: Perm):
    """What a person needs, in words, for the 403 message and the page."""
    rule = MATRIX[Perm(perm)]
    if rule.all_of:
        return format_lazy(_("This needs both roles: {roles}."), roles=role_labels(rule.all_of))
    return format_lazy(_("This needs one of the roles: {roles}."), roles=role_labels(rule.any_of))


def require(actor, perm: Perm, *, tier=None):
    """Raise Partner Center's 403 (2032) naming the roles needed."""
    rule = MATRIX[Perm(perm)]
    tier = tier or getattr(actor, "tier", None) or None
    if actor is not None and actor.is_app_only and not rule.app_only_allowed:
        raise PermissionDenied(_("Application credentials (App only) cannot do this; use a user's token (App+User)."),
                               parameters={"permission": str(perm)})
    if tier is not None and tier not in rule.tiers:
        raise PermissionDenied(
            format_lazy(_("Your partner type ({tier}) cannot do this."), tier=Tier(tier).label),
            parameters={"permission": str(perm)},
        )
    if not allowed(actor, perm):
        raise PermissionDenied(requirement_text(perm), parameters={"permission": str(perm)})


def perms_for(actor, *, tier=None) -> frozenset:
    return frozenset(p for p in Perm if allowed(actor, p, tier=tier))


def require_any(actor, perms):
    """Raise 403 (2032) unless `actor` holds the roles (and credential kind) for one of `perms`: a route's least
    requirement, checked before its body is read (core.api.views.PCAPIView.required_permissions). Partner tiers are
    left to the services, whose refusals say what the partner type may do instead."""
    perms = [Perm(p) for p in perms]
    if any(allowed(actor, perm, tier=next(iter(MATRIX[perm].tiers))) for perm in perms):
        return
    first = perms[0]
    if actor is not None and actor.is_app_only and not MATRIX[first].app_only_allowed:
        raise PermissionDenied(_("Application credentials (App only) cannot do this; use a user's token (App+User)."),
                               parameters={"permission": str(first)})
    raise PermissionDenied(requirement_text(first), parameters={"permission": str(first)})
