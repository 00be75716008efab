"""Forms of the Azure plan pages. They check the shape of the input (required, lengths) so the
page can say it in plain words; every rule (names, reasons, roles, resellers, limits) stays in
azureplan.plans.services, whose errors the views show beside the field (core.forms.apply_error). Field names
follow the services' error fields (friendlyName -> friendly_name, principalId -> principal_id, ...)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import CancellationReason, PrincipalType


def reseller_choices(resellers, *, empty_label):
    return [("", empty_label)] + [(r.partner_id, f"{r.name} ({r.partner_id})") for r in resellers]


class ResellerField(forms.CharField):
    """A select of the indirect provider's resellers; any value still reaches the service, which says why
    it is refused."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Select)
        super().__init__(max_length=40, **kwargs)


class PlanRenameForm(forms.Form):
    friendly_name = forms.CharField(label=_("Friendly name"), max_length=128)


class AzureSubscriptionCreateForm(forms.Form):
    friendly_name = forms.CharField(label=_("Name"), max_length=64,
                                    help_text=_("As shown in the Azure portal, e.g. Production or Team A dev."))
    participants = ResellerField(label=_("Reseller"),
                                 help_text=_("The indirect reseller of this Azure subscription."))

    def __init__(self, *args, resellers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if resellers is None:
            del self.fields["participants"]
        else:
            self.fields["participants"].widget.choices = reseller_choices(
                resellers, empty_label=_("The reseller of record of the plan"))


class AzureSubscriptionRenameForm(forms.Form):
    friendly_name = forms.CharField(label=_("Name"), max_length=64)


class BulkCancelForm(forms.Form):
    cancellation_reason = forms.CharField(label=_("Reason"), max_length=32, widget=forms.Select)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cancellation_reason"].widget.choices = [("", _("Choose a reason"))] + list(
            CancellationReason.choices)


class RoleAssignmentForm(forms.Form):
    principal_type = forms.CharField(label=_("Principal type"), max_length=32, widget=forms.Select)
    principal_id = forms.CharField(label=_("Principal id"), max_length=100,
                                   help_text=_("The object id (a GUID) of the user, group or service principal in "
                                               "Microsoft Entra ID."),
                                   widget=forms.TextInput(attrs={"placeholder": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                                                                 "spellcheck": "false"}))
    principal_name = forms.CharField(label=_("Principal name"), max_length=200)
    role_name = forms.CharField(label=_("Role"), max_length=100, widget=forms.Select)
    resource_group = forms.CharField(label=_("Resource group"), max_length=90, required=False,
                                     help_text=_("Empty: the whole Azure subscription."))
    partner_id = forms.CharField(label=_("Partner's PartnerID"), max_length=10, required=False,
                                 help_text=_("Required when the principal belongs to an indirect reseller or "
                                             "another partner."))

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["principal_type"].widget.choices = list(PrincipalType.choices)
        roles = list(roles)
        self.fields["role_name"].widget.choices = [
            ("", _("Choose a role")),
            (_("Earn partner earned credit"), [(r.name, r.name) for r in roles if r.pec_eligible]),
            (_("Read-only: no partner earned credit"), [(r.name, r.name) for r in roles if not r.pec_eligible]),
        ]
