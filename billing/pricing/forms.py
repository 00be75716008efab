"""Forms of the Pricing pages: the uploads of a price sheet and of an exchange-rate file. The services check
everything again (market sold, month not too late, every line); the forms only shape the input."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Country
from core.errors import InvalidInput

from ..models import PriceSheetView
from .rules import month_parse, sold_markets

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # a 200,000-row sheet is about 70 MB


def _file_field(label):
    return forms.FileField(
        label=label, help_text=_("CSV exactly as Microsoft serves it (UTF-8, with or without BOM), or gzipped "
                                 "(.csv.gz), at most 200 MB."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control",
                                               "accept": ".csv,.gz,text/csv,application/gzip"}))


class _MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"class": "form-control", "type": "month", "placeholder": "YYYY-MM"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return month_parse(value)
        except InvalidInput as exc:  # the same message as the API's
            raise forms.ValidationError(str(exc.description)) from None


class _UploadForm(forms.Form):
    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload


class PriceSheetImportForm(_UploadForm):
    file = _file_field(_("Price sheet (CSV)"))
    market = forms.ChoiceField(label=_("Market"), widget=forms.Select(attrs={"class": "form-select"}),
                               help_text=_("The customer market the sheet is for: its Market column."))
    view = forms.ChoiceField(label=_("View"), choices=PriceSheetView.choices,
                             widget=forms.Select(attrs={"class": "form-select"}))
    month = _MonthField(label=_("Month"), help_text=_("The month the sheet was published for, e.g. 2026-12."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = sorted(sold_markets())
        names = {c.code: c.localized_name for c in Country.objects.filter(code__in=codes)}
        self.fields["market"].choices = sorted(((code, f"{names.get(code, code)} ({code})") for code in codes),
                                               key=lambda choice: choice[1])
        self.fields["month"].initial = f"{timezone.now():%Y-%m}"


class FxRatesImportForm(_UploadForm):
    file = _file_field(_("Exchange rates (CSV)"))
    month = _MonthField(label=_("Month"), required=False,
                        help_text=_("Only needed when the file's Month column holds a year alone (e.g. 2019)."))
