"""Forms of the Spend pages: the customer's monthly budget. The service (billing.rating.budgets.budget_set) checks the
amount again."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

# Where the decimal separator is the point (English), a comma only groups thousands, by three digits: 1,250 and
# 1,250.50, never 12,50. Where it is the comma (French), a space of any kind groups them: 1 250,50.
_POINT_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}( \d{3})+(,\d*)?")
_DECIMAL_COMMA = re.compile(r"[+-]?(\d+),(\d+)")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


class AmountField(forms.DecimalField):
    """A decimal in the page's language, its thousands grouped or not: 1 500,50 (or 1500,50) in French, 1,500.50 (or
    1500.50) in English. A separator that does not group three digits is refused rather than guessed: in English
    "12,50" would otherwise be 1,250 and "1 5" 15."""

    def to_python(self, value):
        if isinstance(value, str):
            value = _SPACES.sub(" ", value.strip())
            if get_format("DECIMAL_SEPARATOR") == ".":
                value = self._english(value)
            else:
                value = self._comma_decimal(value)
        return super().to_python(value)

    @staticmethod
    def _english(value):
        if " " in value:
            raise ValidationError(_("Write the amount without spaces, its thousands grouped by a comma: 1,250.50."),
                                  code="invalid")
        if "," not in value:
            return value
        if _POINT_GROUPED.fullmatch(value):
            return value.replace(",", "")
        decimal_comma = _DECIMAL_COMMA.fullmatch(value)
        if decimal_comma:
            raise ValidationError(_("Use a point for decimals: %(example)s.") % {
                "example": f"{decimal_comma[1]}.{decimal_comma[2]}"}, code="invalid")
        raise ValidationError(_("Use a point for decimals and a comma only between groups of three digits: "
                                "1,250.50."), code="invalid")

    @staticmethod
    def _comma_decimal(value):
        if "." in value and "," in value:  # 1,234.56 or 1.234,56: which is the decimal is a guess; say the form
            raise ValidationError(_("Use a comma for decimals and a space between groups of three digits: "
                                    "1 250,50."), code="invalid")
        if " " not in value:
            return value
        if _COMMA_GROUPED.fullmatch(value):
            return value.replace(" ", "")
        raise ValidationError(_("Group the thousands by three digits: 1 250,50."), code="invalid")


class BudgetForm(forms.Form):
    amount = AmountField(
        label=_("Monthly budget"), required=False, min_value=0, max_digits=20, decimal_places=2, localize=True,
        help_text=_("In your billing currency, excluding tax. Leave empty for no budget."),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal", "autocomplete": "off"}))
