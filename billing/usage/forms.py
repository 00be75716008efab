"""The usage upload form. The import checks every line (in the background); the form only shapes the input."""

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024  # 2 GB: a month of a large partner's daily usage


class UsageImportForm(forms.Form):
    file = forms.FileField(
        label=_("Usage file"),
        help_text=_("Microsoft's daily rated usage file (CSV), the usage export's JSON lines (.json.gz) or a JSON "
                    "batch, as they are."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.gz,.json,.jsonl,text/csv"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 GB: import it with manage.py import_usage."))
        return upload
