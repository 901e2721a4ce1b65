"""Forms for the staff admin."""

from django import forms

from music.catalogue import FORMATS, UnusableFile, import_catalogue


class CatalogueImportForm(forms.Form):
    csv_file = forms.FileField(
        label="CSV file",
        help_text="One of: "
        + "; ".join(catalogue_format.title for catalogue_format in FORMATS)
        + ". The format is recognised from the header row.",
    )

    def import_catalogue(self):
        """Run the import; the ImportResult, or None with the reason as a form error."""
        upload = self.cleaned_data["csv_file"]
        upload.seek(0)
        try:
            return import_catalogue(upload.file, upload.name)
        except UnusableFile as exc:
            self.add_error("csv_file", f"{upload.name}: {exc}")
            return None
