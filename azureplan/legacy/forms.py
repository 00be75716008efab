"""Forms of the legacy Azure pages (azureplan.legacy.views): the CSV import and the rename of a legacy subscription
whose name is too long for an Azure subscription."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .rules import AZURE_SUBSCRIPTION_NAME_MAX, MAX_IMPORT_BYTES


class LegacyImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file of legacy subscriptions"),
                           help_text=_("UTF-8 CSV, at most 20 MB, first line the column names."),
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB: split it."))
        return upload


class LegacyRenameForm(forms.Form):
    friendly_name = forms.CharField(
        label=_("New name"), max_length=AZURE_SUBSCRIPTION_NAME_MAX,
        # Formatted when shown (in the reader's language), not when the module is imported.
        help_text=lazy(lambda: gettext("At most %(max)s characters, the limit of an Azure subscription's name.")
                       % {"max": AZURE_SUBSCRIPTION_NAME_MAX}, str)(),
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
