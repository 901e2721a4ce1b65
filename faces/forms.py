"""The photo upload form."""

from django import forms
from django.conf import settings

from faces.images import (
    EMPTY_MESSAGE,
    InvalidImage,
    check_byte_size,
    decode_image,
)

# Big JPEGs are decoded at a reduced scale down to this longest side at least:
# face detection works at 1000 px and the page shows the photo smaller still.
WORKING_MAX_SIDE = 2000


class PhotoUploadForm(forms.Form):
    """One photo. A valid form's cleaned_data also holds the decoded pixels.

    cleaned_data["image"]: uint8 (H, W, 3) upright RGB pixels (for
    faces.analysis.analyze_rgb, so the view does not decode twice); a JPEG
    photo over WORKING_MAX_SIDE may be decoded smaller (faces' boxes then refer
    to this array, whose shape gives its size);
    cleaned_data["image_bytes"]: the uploaded bytes.
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

    def clean_photo(self):
        upload = self.cleaned_data["photo"]
        try:
            # The declared size first: a too-large file is refused unread.
            check_byte_size(upload.size)
            upload.seek(0)
            # Reading one byte past the limit catches a size that lied.
            data = upload.read(settings.MAX_UPLOAD_BYTES + 1)
            image = decode_image(data, max_side=WORKING_MAX_SIDE)
            self.cleaned_data["image"] = image
        except InvalidImage as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        self.cleaned_data["image_bytes"] = data
        return upload
