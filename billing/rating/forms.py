"""Forms of the Spend pages: the customer's monthly budget. The service (billing.rating.budgets.budget_set) checks the
amount again."""

from django import forms
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _


class AmountField(forms.DecimalField):
    """A decimal in the page's language, its thousands grouped or not: 1 500,50 (or 1500.50) in French, 1,500.50 in
    English. Spaces of any kind go; a comma goes where the decimal separator is the point."""

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "").replace("\u00a0", "")
            if get_format("DECIMAL_SEPARATOR") == ".":
                value = value.replace(",", "")
        return super().to_python(value)


class BudgetForm(forms.Form):
    amount = AmountField(
        label=_("Monthly budget"), required=False, min_value=0, max_digits=20, decimal_places=2, localize=True,
        help_text=_("In your billing currency, excluding tax. Leave empty for no budget."),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal", "autocomplete": "off"}))
