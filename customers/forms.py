"""Forms of the customer pages. They check the shape of the input (required, lengths) so the page can
say it in plain words; every business rule (domain format and uniqueness, the market, registration
number and phone in the listed countries, the etag, duplicates) stays in the services, whose errors
the views show beside the field (core.forms.apply_error)."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.forms import reseller_choices
from core.phone import MESSAGE as PHONE_MESSAGE
from core.phone import phone_number_valid

from .choices import REGISTRATION_REQUIRED_COUNTRIES

SELL_OURSELVES = _("None: we sell to this customer ourselves")


def registration_countries(countries):
    """Names of those countries where the registration number and the phone are mandatory."""
    return [c.localized_name for c in countries if c.code in REGISTRATION_REQUIRED_COUNTRIES]


class AddressFields(forms.Form):
    """The billing contact and address, shared by the create, billing and invitation forms."""

    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50)
    email = forms.EmailField(label=_("E-mail"), help_text=_("Invoices and Microsoft's notices go here."))
    phone_number = forms.CharField(label=_("Phone number"), max_length=30, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, widget=forms.Select)
    address_line1 = forms.CharField(label=_("Address line 1"), max_length=200)
    address_line2 = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    state = forms.CharField(label=_("State or province"), max_length=3, required=False,
                            help_text=_("Its code, e.g. WA, ON or NSW. Required in the United States, Canada, "
                                        "Australia, Brazil, India, Mexico and Japan; leave it empty where there is "
                                        "none."))
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        # A CharField with a select of the market's countries: any other value still reaches the
        # service, which says why it is refused (outside the market, unknown code).
        self.fields["country"].widget.choices = [("", _("Choose a country"))] + [
            (c.code, f"{c.localized_name} ({c.code})") for c in countries]
        required_in = registration_countries(countries)
        if required_in:
            self.fields["phone_number"].help_text = _("Required for customers in %(countries)s.") % {
                "countries": ", ".join(required_in)}
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def clean_phone_number(self):
        """The service's rule (core.phone), checked with the other fields so one submit says everything."""
        phone = self.cleaned_data["phone_number"].strip()
        if phone and not phone_number_valid(phone):
            raise forms.ValidationError(PHONE_MESSAGE)
        return phone


class CustomerCreateForm(AddressFields):
    company_name = forms.CharField(label=_("Company name"), max_length=255,
                                   help_text=_("The exact legal name, without acronyms."))
    domain = forms.CharField(
        label=_("Domain"), max_length=253,
        help_text=_("The customer's Microsoft domain, e.g. contoso.onmicrosoft.com. It cannot be changed later."))
    organization_registration_number = forms.CharField(label=_("Organisation registration number"), max_length=50,
                                                       required=False)
    language = forms.CharField(label=_("Language"), initial="en", widget=forms.Select(choices=settings.LANGUAGES),
                               help_text=_("Of the e-mails the customer receives."))
    culture = forms.CharField(label=_("Culture"), max_length=10, initial="en-US",
                              help_text=_("Formats of dates and numbers, e.g. en-US or fr-FR."))
    reseller = forms.CharField(label=_("Indirect reseller"), required=False, widget=forms.Select,
                               help_text=_("The indirect reseller of record who sells to this customer."))

    field_order = ["company_name", "domain", "organization_registration_number", "first_name", "last_name",
                   "email", "phone_number", "country", "address_line1", "address_line2", "city", "state",
                   "postal_code", "language", "culture", "reseller"]

    def __init__(self, *args, countries=(), resellers=None, **kwargs):
        super().__init__(*args, countries=countries, **kwargs)
        required_in = registration_countries(countries)
        if required_in:
            self.fields["organization_registration_number"].help_text = _(
                "The company's tax id (not a personal id). Required for customers in %(countries)s; leave it "
                "empty for the other countries.") % {"countries": ", ".join(required_in)}
        else:
            # Nobody in this market may give one (Partner Center refuses it, 600002).
            del self.fields["organization_registration_number"]
        if resellers:
            self.fields["reseller"].widget.choices = reseller_choices(resellers, empty_label=SELL_OURSELVES)
        else:
            del self.fields["reseller"]


class BillingProfileForm(AddressFields):
    billing_company_name = forms.CharField(label=_("Company name on invoices"), max_length=255, required=False)
    language = forms.CharField(label=_("Language"), widget=forms.Select(choices=settings.LANGUAGES),
                               help_text=_("Of the e-mails the customer receives."))
    culture = forms.CharField(label=_("Culture"), max_length=10,
                              help_text=_("Formats of dates and numbers, e.g. en-US or fr-FR."))
    etag = forms.CharField(widget=forms.HiddenInput, required=False)

    field_order = ["billing_company_name", "first_name", "last_name", "email", "phone_number", "country",
                   "address_line1", "address_line2", "city", "state", "postal_code", "language", "culture"]

    BILLING_FIELDS = ("billing_company_name", "first_name", "last_name", "email", "phone_number", "address_line1",
                      "address_line2", "city", "state", "postal_code", "language", "culture")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.initial.get("language")
        choices = list(self.fields["language"].widget.choices)
        if current and current not in dict(choices):
            self.fields["language"].widget.choices = choices + [(current, current)]

    @classmethod
    def initial_for(cls, customer, etag):
        initial = {name: getattr(customer, name) for name in cls.BILLING_FIELDS}
        initial["country"] = customer.country_id
        initial["etag"] = etag
        return initial


class InvitationAcceptForm(AddressFields):
    """What the customer's global admin fills in on the public invitation page."""

    company_name = forms.CharField(label=_("Company name"), max_length=255,
                                   help_text=_("Your organisation's exact legal name."))
    domain = forms.CharField(label=_("Domain"), max_length=253,
                             help_text=_("Your Microsoft domain, e.g. contoso.onmicrosoft.com."))
    organization_registration_number = forms.CharField(label=_("Organisation registration number"), max_length=50,
                                                       required=False)
    accept_mca = forms.BooleanField(label=_("I accept the Microsoft Customer Agreement on behalf of my organisation"),
                                    required=False)

    field_order = ["company_name", "domain", "organization_registration_number", "first_name", "last_name",
                   "email", "phone_number", "country", "address_line1", "address_line2", "city", "state",
                   "postal_code", "accept_mca"]

    CONTACT_FIELDS = ("first_name", "last_name", "email", "phone_number", "accept_mca")

    def __init__(self, *args, countries=(), contact_only=False, **kwargs):
        super().__init__(*args, countries=countries, **kwargs)
        if contact_only:
            # Restoring a former customer's relationship: its profiles stay as the partner has them.
            for name in list(self.fields):
                if name not in self.CONTACT_FIELDS:
                    del self.fields[name]
            return
        required_in = registration_countries(countries)
        if required_in:
            self.fields["organization_registration_number"].help_text = _(
                "Your company's tax id. Required for organisations in %(countries)s.") % {
                "countries": ", ".join(required_in)}
        else:
            del self.fields["organization_registration_number"]


class InvitationCreateForm(forms.Form):
    include_delegated_admin = forms.BooleanField(
        label=_("Include delegated administration privileges"), required=False,
        help_text=_("Your Admin agents get the Global admin role in the customer's tenant, and your Helpdesk agents "
                    "the Helpdesk admin role. The customer can remove them later and keep you as reseller."))
    reseller = forms.CharField(label=_("Indirect reseller"), required=False, widget=forms.Select,
                               help_text=_("The indirect reseller of record for this customer, if any."))

    def __init__(self, *args, resellers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if resellers:
            self.fields["reseller"].widget.choices = reseller_choices(resellers, empty_label=SELL_OURSELVES)
        else:
            del self.fields["reseller"]


class AssignResellerForm(forms.Form):
    reseller = forms.CharField(label=_("Indirect reseller of record"), required=False, widget=forms.Select)

    def __init__(self, *args, resellers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reseller"].widget.choices = reseller_choices(resellers, empty_label=_("None"))
