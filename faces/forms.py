"""The photo upload form."""

from django import forms
from django.conf import settings

from faces.analysis import working_scale
from faces.images import (
    EMPTY_MESSAGE,
    InvalidImage,
    check_byte_size,
    decode_photo,
    too_large_message,
)

# The page shows the photo at most this long (its preview comes from the same
# decode as the analysis's gray pixels).
PREVIEW_MAX_SIDE = 900


class PhotoUploadForm(forms.Form):
    """One photo. A valid form's cleaned_data also holds the decoded pixels.

    take_photo(): the decoded faces.images.Photo for
    faces.analysis.analyze_photo (boxes in the uploaded photo's pixels,
    photo.size), with photo.preview, upright RGB at most PREVIEW_MAX_SIDE long.
    Raises faces.images.Busy (-> 503) when the process is decoding too many
    photos already. Bytes past settings.MAX_UPLOAD_BYTES never arrive here
    (faces.uploads drops them); the file's size says how many were sent.
    A FileField, not an ImageField: ImageField decodes with Pillow as well, but
    with its own messages and no size or pixel limits; faces.images has ours.
    """

    photo = forms.FileField(
        label="Your photo",
        error_messages={
            "required": "Please choose a photo to upload.",
            "empty": EMPTY_MESSAGE,
            "invalid": "No file arrived. Please choose a photo and send it again.",
            "missing": "No file arrived. Please choose a photo and send it again.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser checks the size before sending (upload.js), with the
        # server's limit and words; the server still checks.
        self.fields["photo"].widget.attrs |= {
            "data-max-bytes": settings.MAX_UPLOAD_BYTES,
            "data-too-large": too_large_message(),
        }

    def clean_photo(self):
        upload = self.cleaned_data["photo"]
        try:
            # The declared size first: a too-large file is refused unread.
            check_byte_size(upload.size)
            upload.seek(0)
            # Reading one byte past the limit catches a size that lied.
            data = upload.read(settings.MAX_UPLOAD_BYTES + 1)
            photo = decode_photo(
                data, min_scale=working_scale, preview_side=PREVIEW_MAX_SIDE
            )
            self.cleaned_data["photo_decoded"] = photo
        except InvalidImage as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        return upload

    def take_photo(self):
        """The valid form's decoded photo, which the form then no longer holds.

        A form is a reference cycle (its bound fields point back at it), freed
        only when the garbage collector next gets to it; the photo's pixels
        (megabytes for a big upload) go as soon as the view is done with them.
        Measured: 8 big uploads at once left 40 MB behind in their forms.
        """
        return self.cleaned_data.pop("photo_decoded")
