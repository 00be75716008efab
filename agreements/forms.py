"""Forms of the agreements card on the customer page."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import AgreementType
from .errors import DateAgreedInvalid
from .services import EARLIEST_DATE_AGREED, date_agreed_check


class AttestationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50)
    email = forms.EmailField(label=_("E-mail"))
    phone_number = forms.CharField(label=_("Phone number"), max_length=30, required=False,
                                   help_text=_("Optional."))
    date_agreed = forms.DateField(label=_("Date the customer accepted"),
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                  help_text=_("Not in the future (UTC)."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.now().date()
        self.fields["date_agreed"].widget.attrs["max"] = today.isoformat()
        self.fields["date_agreed"].widget.attrs["min"] = (
            EARLIEST_DATE_AGREED[AgreementType.MICROSOFT_CUSTOMER_AGREEMENT].date().isoformat())
        self.fields["date_agreed"].initial = today

    def clean_date_agreed(self):
        """The API's rule (agreements.services.date_agreed_check), said in words for a person."""
        day = self.cleaned_data["date_agreed"]
        try:
            date_agreed_check(day)
        except DateAgreedInvalid as exc:
            raise forms.ValidationError(exc.for_person) from None
        return day

    @classmethod
    def initial_for(cls, customer):
        return {"first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email,
                "phone_number": customer.phone_number, "date_agreed": timezone.now().date()}
