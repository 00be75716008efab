"""What each audit action code means, as people read it (the audit log, the home page's recent activity).

Services record a code (`audit_record(action="mfa.enrolled")`): the code stays what the API returns and what the
audit log's filter matches (a prefix such as "user."); pages show `action_label(code)` in the reader's language. A
code missing here shows as itself: add its label here when a service records a new action.
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # accounts
    "organisation.created": _("Organisation created"),
    "organisation.credit_limit_set": _("Credit limit changed"),
    "user.invited": _("User invited"),
    "user.invitation_accepted": _("Invitation accepted: account activated"),
    "user.updated": _("User changed"),
    "user.roles_changed": _("User's roles changed"),
    "user.deactivated": _("User deactivated"),
    "user.reactivated": _("User reactivated"),
    "user.password_changed": _("Password changed"),
    "mfa.enrolled": _("Multi-factor authentication turned on"),
    "mfa.recovery_code_used": _("Signed in with a recovery code"),
    "mfa.recovery_codes_regenerated": _("New recovery codes generated"),
    "mfa.reset": _("Multi-factor authentication reset by an administrator"),
    "signin.failed_password": _("Sign-in failed: wrong password"),
    "signin.failed_second_factor": _("Sign-in failed: wrong code"),
    "signin.locked_out": _("Sign-in with a password locked after repeated failures"),
    "signin.lockout_bypassed": _("Signed in with a second factor while sign-in was locked"),
    "signin.ip_throttled": _("Sign-ins from a network held back after repeated failures"),
    "credential.created": _("API token created"),
    "credential.revoked": _("API token revoked"),
    # customers
    "customer.created": _("Customer added"),
    "customer.created_by_invitation": _("Customer accepted the reseller relationship invitation"),
    "customer.relationship_restored": _("Customer accepted the invitation again: relationship restored"),
    "customer.billing_profile_updated": _("Billing profile changed"),
    "customer.reseller_assigned": _("Indirect reseller of record changed"),
    "customer.delegated_access_removed": _("Delegated admin access removed"),
    "customer.relationship_removed": _("Reseller relationship removed"),
    "customer.spending_budget_set": _("Spending budget changed"),
    "relationship_request.created": _("Reseller relationship invitation created"),
    "relationship_request.accepted": _("Reseller relationship invitation accepted"),
    "relationship_request.revoked": _("Reseller relationship invitation revoked"),
    # agreements
    "agreement.attested": _("Microsoft Customer Agreement attested by the partner"),
    "agreement.accepted_by_customer": _("Microsoft Customer Agreement accepted by the customer"),
    "agreement.date_repaired": _("Agreement date corrected (it was outside the possible dates)"),
    # azureplan
    "cart.created": _("Cart created"),
    "cart.updated": _("Cart changed"),
    "cart.checked_out": _("Cart checked out"),
    "order.created": _("Order placed"),
    "order.completed": _("Order completed"),
    "order.failed": _("Order failed"),
    "azure_plan.ordered": _("Azure plan ordered"),
    "azure_plan.activated": _("Azure plan active"),
    "azure_plan.renamed": _("Azure plan renamed"),
    "azure_plan.suspended": _("Azure plan suspended"),
    "azure_plan.reactivated": _("Azure plan reactivated"),
    "azure_plan.cancelled": _("Azure plan cancelled"),
    "azure_subscription.created": _("Azure subscription created"),
    "azure_subscription.renamed": _("Azure subscription renamed"),
    "azure_subscription.cancelled": _("Azure subscription cancelled"),
    "azure_subscription.reactivated": _("Azure subscription reactivated"),
    "azure_subscription.deleted": _("Azure subscription deleted (90 days after its cancellation)"),
    "role_assignment.added": _("Azure role assigned"),
    "role_assignment.removed": _("Azure role removed"),
    "legacy_subscriptions.imported": _("Legacy Azure subscriptions imported"),
    "legacy_subscription.renamed": _("Legacy Azure subscription renamed"),
    "legacy_subscription.transitioned": _("Legacy Azure subscription moved to the Azure plan (cut-over)"),
    "product_upgrade.created": _("Transition to the Azure plan started"),
    "product_upgrade.retried": _("Transition retried for its failed subscriptions"),
    "product_upgrade.completed": _("Transition to the Azure plan completed"),
    "product_upgrade.failed": _("Transition finished with failed subscriptions"),
    "product_upgrade.cancelled": _("Transition cancelled"),
    "transition_batch.started": _("Batch of transitions started"),
    "transition_batch.cancelled": _("Batch of transitions cancelled"),
    # billing
    "price_list.imported": _("Price list imported"),
    "price_list.deleted": _("Price list deleted"),
    "fx_rates.imported": _("Exchange rates imported"),
    "usage.imported": _("Usage imported"),
    "billing.run_started": _("Billing run started"),
    "billing.run_resumed": _("Billing run resumed"),
    "billing.invoice_finalized": _("Invoice finalized"),
    "credit_note.issued": _("Credit note issued"),
    "payment.recorded": _("Payment recorded"),
    "invoice.paid": _("Invoice paid"),
}


def action_label(code: str) -> str:
    """The label of audit action `code` in the active language; an unknown code as itself."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
