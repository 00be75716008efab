"""What agreements adds to the earlier apps (called from AgreementsConfig.ready()): the agreements card of the
customer page with the MCA badge in its header, the MCA column of the customer list, the agreement link of the
public invitation page, the customer's own MCA acceptance when an invitation is accepted, and the activity lines."""

from django.utils.translation import gettext_lazy as _

from customers import registry


def register():
    from . import views

    registry.register_section(registry.CustomerSection(
        key="mca", template="agreements/inc/customer_agreements.html", context=views.customer_mca_context,
        order=100, anchor="agreements", badge_template="agreements/inc/customer_mca_badge.html"))
    registry.register_column(registry.CustomerColumn(
        key="mca", header=_("Agreement"), template="agreements/inc/mca_cell.html",
        values=views.mca_confirmed_values, order=100))
    registry.register_invitation_context("mca", views.invitation_mca_context)
    registry.register_invitation_accepted("mca", views.record_invitation_mca)
    registry.register_activity("agreement.", registry.labelled({
        "agreement.attested": _("Microsoft Customer Agreement attested by the partner"),
        "agreement.accepted_by_customer": _("Microsoft Customer Agreement accepted by the customer"),
        "agreement.date_repaired": _("Agreement date corrected (it was outside the possible dates)"),
    }, detail=_agreement_detail))


def _agreement_detail(event, data):
    if event.action == "agreement.attested":
        return data.get("contact", "")
    if event.action == "agreement.date_repaired":
        return f"{data.get('stored', '—')} → {(data.get('date_agreed') or '—')[:10]} ({data.get('command', '')})"
    return ""
