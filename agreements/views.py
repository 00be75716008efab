"""The agreements card of the customer page (registered with customers.registry in agreements.registrations), its
attestation form's POST, the MCA column of the customer list and the MCA link of the public invitation page."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import selectors as account_selectors
from accounts.choices import Tier
from accounts.permissions import Perm, allowed
from accounts.views.portal import forbidden, form_post, portal_page
from core.errors import PartnerCenterError
from core.forms import apply_error
from customers import selectors as customer_selectors
from customers.views import render_customer_page

from . import selectors, services
from .choices import AgreementType
from .errors import AgreementAlreadyExists
from .forms import AttestationForm

MCA = AgreementType.MICROSOFT_CUSTOMER_AGREEMENT


def _attest_blocked_reason(actor, customer, organisation):
    """Why the attestation form is not shown, or None when it is."""
    if organisation.tier == Tier.INDIRECT_RESELLER:
        return _("Indirect resellers cannot attest the agreement: your indirect provider %(provider)s does it.") % {
            "provider": organisation.provider.name if organisation.provider else ""}
    if not allowed(actor, Perm.ATTEST_MCA):
        return _("Attesting the agreement needs the role Admin agent or Sales agent.")
    if not customer.has_relationship:
        return _("There is no reseller relationship with this customer any more: send a new invitation first.")
    return None


def customer_mca_context(request, customer, attest_form=None):
    """The customer page's "Microsoft Customer Agreement" card; `attest_form` is the bound form of a failed POST."""
    actor = request.actor
    organisation = account_selectors.organisation_get(actor=actor)
    agreements = list(selectors.agreement_list(actor=actor, customer=customer, agreement_type="*"))
    mca = [a for a in agreements if a.agreement_type == MCA]
    blocked = _attest_blocked_reason(actor, customer, organisation)
    return {
        "agreements": agreements, "confirmed": services.mca_confirmed(customer),
        "latest": mca[0] if mca else None, "template": selectors.mca_template_current(),
        "attest_blocked": blocked,
        "attest_form": None if blocked else (attest_form or AttestationForm(initial=AttestationForm.initial_for(
            customer))),
    }


def mca_confirmed_values(actor, customers):
    """The customer list's MCA column: {pk: confirmed?} for a page of customers, in one query."""
    confirmed = selectors.mca_confirmed_ids(c.pk for c in customers)
    return {c.pk: c.pk in confirmed for c in customers}


def invitation_mca_context(row):
    return {"mca_template": selectors.mca_template_current()}


def record_invitation_mca(*, actor, customer, request_row, contact, accept_mca):
    """customers' invitation-accepted hook: the customer accepted the MCA on the invitation page."""
    if accept_mca:
        services.agreement_record_customer_acceptance(customer=customer, actor=actor, **contact)


@portal_page(Perm.VIEW_CUSTOMERS)
@form_post(lambda request, tenant_id: reverse("customers:customer_detail", args=[customer_selectors.customer_get(
    actor=request.actor, tenant_id=tenant_id).tenant_id]) + "#agreements")
def customer_attest(request, tenant_id):
    # The customer first, so a foreign id answers 404 whatever the roles; then the permission.
    customer = customer_selectors.customer_get(actor=request.actor, tenant_id=tenant_id)
    if not allowed(request.actor, Perm.ATTEST_MCA):
        return forbidden(request, Perm.ATTEST_MCA)
    form = AttestationForm(request.POST)
    if form.is_valid():
        template = selectors.mca_template_current()
        try:
            services.agreement_attest(actor=request.actor, customer=customer, agreement_type=MCA,
                                      template_id=template.template_id if template else "", **form.cleaned_data)
        except AgreementAlreadyExists as exc:
            form.add_error(None, _("%(error)s This person (same name, e-mail and phone) is already recorded as having "
                                   "accepted, and that attestation stands. To record a new one, enter the details of "
                                   "the person who accepted this time.") % {"error": exc.description})
        except PartnerCenterError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The Microsoft Customer Agreement is attested for %(customer)s. The portal "
                                        "e-mails %(email)s about it.") % {"customer": customer.company_name,
                                                                         "email": form.cleaned_data["email"]})
            return redirect(reverse("customers:customer_detail", args=[customer.tenant_id]) + "#agreements")
    return render_customer_page(request, customer, overrides={"mca": form}, status=400)
