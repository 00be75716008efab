import datetime
import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from .choices import CredentialKind, Role


def reseller_choices(resellers, *, empty_label):
    """The options of a select of indirect resellers (accounts.selectors.reseller_list): the empty choice first,
    then "Name (PartnerID)" valued by PartnerID."""
    return [("", empty_label)] + [(r.partner_id, f"{r.name} ({r.partner_id})") for r in resellers]


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username",
                                                                             "autofocus": True}))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete":
                                                                                     "current-password"}))
    # Shown only while the address is locked: the right password with a valid second factor still signs in.
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"), max_length=32, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete":
                                                                                         "new-password"}),
                               help_text=_("At least 12 characters; not a common password."))
    password_again = forms.CharField(label=_("New password again"),
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class ChangePasswordForm(SetPasswordForm):
    current_password = forms.CharField(label=_("Current password"),
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    field_order = ["current_password", "password", "password_again"]


ROLE_CHOICES = [(r.value, r.label) for r in Role]


class UserInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple,
                                      required=False)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("Browser's language"))] + list(settings.LANGUAGES))


class UserEditForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple,
                                      required=False)
    etag = forms.CharField(widget=forms.HiddenInput, required=False)


class AccountForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("Browser's language"))] + list(settings.LANGUAGES))


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What uses this token, e.g. 'Billing export script'."))
    days = forms.IntegerField(label=_("Expires after (days)"), min_value=1, max_value=settings.API_TOKEN_MAX_DAYS,
                              initial=settings.API_TOKEN_DEFAULT_DAYS)
    kind = forms.ChoiceField(label=_("Kind"), choices=CredentialKind.choices, initial=CredentialKind.USER)
    roles = forms.MultipleChoiceField(
        label=_("Roles of the application"), required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"data-app-only": "true"}),
        choices=[(r.value, r.label) for r in Role if r not in (Role.GLOBAL_ADMIN, Role.USER_MANAGEMENT_ADMIN)],
        help_text=_("Only for application credentials."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == CredentialKind.USER and cleaned.get("roles"):
            # Said, not silently dropped: a personal token acts with its user's own roles.
            self.add_error("roles", _("A personal token acts with your own roles: choose roles only for an "
                                      "application credential."))
        return cleaned


class DayOrInstantField(forms.Field):
    """An ISO 8601 date (a whole UTC day) or date-time (UTC when it has no offset): a `datetime.date` or an aware
    `datetime.datetime`. The page's date inputs send dates; the API also takes date-times."""

    widget = forms.DateInput(attrs={"type": "date"})
    default_error_messages = {
        "invalid": _("Enter a date (YYYY-MM-DD) or an ISO 8601 date-time."),
        "impossible": _("This date does not exist."),
    }

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:  # a date first: parse_datetime would read "2025-03-05" as its midnight
            day = parse_date(value)
            moment = parse_datetime(value) if day is None else None
        except ValueError:  # well-formed but impossible, e.g. 2024-02-30
            raise forms.ValidationError(self.error_messages["impossible"], code="impossible") from None
        if moment is None and day is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment, datetime.UTC)
        return moment or day


def _instant(value, *, end=False):
    """A DayOrInstantField value as an instant: a day starts at midnight UTC; as an end it includes the whole day."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.combine(value + datetime.timedelta(days=1 if end else 0), datetime.time.min,
                                     tzinfo=datetime.UTC)


class AuditFilterForm(forms.Form):
    """The audit log's filters, for the page (Settings > Audit log) and the API (GET /v1/auditrecords, whose
    parameters accounts.api.views maps onto these fields): who, what (action starts with), which object, which
    customer, which kind of object, and a range of days or instants. `filters()` gives them to
    accounts.selectors.audit_list."""

    actor = forms.CharField(label=_("By"), max_length=255, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("E-mail or token name contains…")}))
    action = forms.CharField(label=_("Action"), max_length=100, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("Action starts with, e.g. user.")}))
    object = forms.CharField(label=_("Object"), max_length=255, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("Name contains, or its id")}))
    customer = forms.CharField(label=_("Customer"), max_length=255, required=False,
                               widget=forms.TextInput(attrs={"placeholder": _("Company name contains, or its id")}))
    # The API's only (Partner Center's ResourceType): the kind of object, as the API names it.
    resource_type = forms.CharField(max_length=100, required=False)
    start = DayOrInstantField(label=_("From"), required=False)
    end = DayOrInstantField(label=_("To (inclusive)"), required=False)

    PAGE_FIELDS = ("actor", "action", "object", "customer", "start", "end")

    def __init__(self, *args, page=False, **kwargs):
        super().__init__(*args, **kwargs)
        if page:
            for name in set(self.fields) - set(self.PAGE_FIELDS):
                del self.fields[name]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean_customer(self):
        value = self.cleaned_data["customer"].strip()
        try:  # an id in any case or spelling of a GUID finds what the audit log stores: str(uuid)
            return str(uuid.UUID(value))
        except ValueError:
            return value

    def clean(self):
        data = super().clean()
        start, end = _instant(data.get("start")), _instant(data.get("end"), end=True)
        if start and end and end <= start:
            both_days = not any(isinstance(data[name], datetime.datetime) for name in ("start", "end"))
            self.add_error("end", _("The last day is before the first.") if both_days
                           else _("The end must be after the start."))
        return data

    def filters(self):
        """The cleaned filters as audit_list's arguments."""
        data = self.cleaned_data
        return {"by": data["actor"].strip(), "action": data["action"].strip(), "obj": data["object"].strip(),
                "customer": data["customer"].strip(), "resource_type": data.get("resource_type", "").strip(),
                "start": _instant(data["start"]), "end": _instant(data["end"], end=True)}

    def is_filtered(self):
        return any(self.cleaned_data.get(name) for name in self.fields)
