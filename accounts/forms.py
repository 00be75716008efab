from django import forms
from django.conf import settings
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
        label=_("Roles of the application"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(r.value, r.label) for r in Role if r not in (Role.GLOBAL_ADMIN, Role.USER_MANAGEMENT_ADMIN)],
        help_text=_("Only for application credentials."),
    )


class AuditFilterForm(forms.Form):
    """The audit log's filters: who, what (action starts with), which object, and a range of days (UTC)."""

    actor = forms.CharField(label=_("By"), max_length=255, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("E-mail or token name contains…")}))
    action = forms.CharField(label=_("Action"), max_length=100, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("Action starts with, e.g. user.")}))
    object = forms.CharField(label=_("Object"), max_length=255, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("Name contains, or its id")}))
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The last day is before the first."))
        return data
