"""The ordering pages' form: the Azure plan into a cart (an indirect provider names the reseller of record).
Every rule stays in azureplan.ordering.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import reseller_choices

from ..plans.forms import ResellerField


class AddToCartForm(forms.Form):
    participants = ResellerField(
        label=_("Indirect reseller of record"), required=True,
        error_messages={"required": _("Choose the indirect reseller who sells the Azure plan to this customer.")},
        help_text=_("The reseller who sells the Azure plan to this customer: one Azure plan per reseller."))

    def __init__(self, *args, resellers=None, initial_reseller="", **kwargs):
        super().__init__(*args, **kwargs)
        if resellers is None:
            del self.fields["participants"]
        else:
            self.fields["participants"].widget.choices = reseller_choices(resellers,
                                                                          empty_label=_("Choose the reseller"))
            self.fields["participants"].initial = initial_reseller
