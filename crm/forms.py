"""Forms of the shared core."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crm.interchange import FORMATS, ImportFileError
from crm.interchange.reading import file_format


def max_upload_bytes() -> int:
    return getattr(settings, "CRM_IMPORT_MAX_UPLOAD_MB", 20) * 1024 * 1024


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{f}" for f in FORMATS)}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CSV (UTF-8, or GBK as saved by Excel) or XLSX, up to %(mb)s MB."
        ) % {"mb": max_upload_bytes() // (1024 * 1024)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            file_format(upload.name)
        except ImportFileError as exc:
            raise forms.ValidationError(exc.message) from exc
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is too large (more than %(mb)s MB): split it into smaller files.")
                % {"mb": max_upload_bytes() // (1024 * 1024)}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload
