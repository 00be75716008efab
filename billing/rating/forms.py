"""Forms of the Spend pages: the customer's monthly budget. The service (budget_set) checks the amount again."""

from django import forms
from django.utils.translation import gettext_lazy as _


class BudgetForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Monthly budget"), required=False, min_value=0, max_digits=20, decimal_places=2, localize=True,
        help_text=_("In your billing currency, excluding tax. Leave empty for no budget."),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal", "autocomplete": "off"}))
