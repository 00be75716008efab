"""Forms of the invoicing pages: record a payment, issue a credit note, set the credit limit. The services check
everything again (billing.invoicing.payments, credit_notes, credit); their refusals show beside the field they name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..rating.forms import AmountField
from ..templatetags.spend import money

TEXT = {"class": "form-control", "autocomplete": "off"}
AMOUNT = {**TEXT, "inputmode": "decimal"}


class PaymentForm(forms.Form):
    amount = AmountField(label=_("Amount received"), min_value=0, max_digits=20, decimal_places=2, localize=True,
                         widget=forms.TextInput(attrs=AMOUNT))
    received_on = forms.DateField(label=_("Date received"), widget=forms.DateInput(
        attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(label=_("Reference"), max_length=100, widget=forms.TextInput(attrs=TEXT),
                                help_text=_("As on the bank statement; the invoice number when the payer quoted it."))
    invoice = forms.ChoiceField(label=_("Apply to"), required=False, widget=forms.Select(attrs={"class": "form-select"}),
                                help_text=_("Oldest first: the payment settles the oldest unpaid invoices first. What "
                                            "is left is kept as overpayment."))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))

    def __init__(self, *args, open_invoices=(), currency="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = [("", _("The oldest unpaid invoices first"))] + [
            (str(inv.public_id), f"{inv.number} · {money(inv.balance, inv.currency)}") for inv in open_invoices]
        self.fields["amount"].help_text = _("In %(currency)s, the billing currency.") % {"currency": currency}


class CreditNoteForm(forms.Form):
    """One checkbox (`pick_<line id>`) and one amount (`line_<line id>`, empty: all the line has left) per line."""

    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(
        attrs={"class": "form-control", "rows": 2}), help_text=_("The partner reads it on the credit note."))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.line_ids = []
        for line in lines:
            if line.remaining <= 0:
                continue
            self.line_ids.append(line.pk)
            self.fields[f"pick_{line.pk}"] = forms.BooleanField(
                required=False, label=_("Credit line %(line)s") % {"line": line.pk},
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
            self.fields[f"line_{line.pk}"] = AmountField(
                required=False, min_value=0, max_digits=20, decimal_places=2, localize=True,
                label=_("Amount of line %(line)s") % {"line": line.pk},
                widget=forms.TextInput(attrs={**AMOUNT, "class": "form-control form-control-sm",
                                              "placeholder": str(line.remaining)}))

    def chosen(self):
        """{line id: amount or None (all that is left)} of the ticked lines (an amount alone ticks its line)."""
        data = self.cleaned_data
        return {pk: data.get(f"line_{pk}") for pk in self.line_ids
                if data.get(f"pick_{pk}") or data.get(f"line_{pk}") is not None}

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.chosen():
            raise forms.ValidationError(_("Choose at least one line to credit."))
        return cleaned


class CreditLimitForm(forms.Form):
    credit_limit = AmountField(label=_("Credit limit (USD)"), min_value=0, max_digits=18, decimal_places=2,
                               localize=True, widget=forms.TextInput(attrs=AMOUNT),
                               help_text=_("0: no limit is enforced."))
