import weakref

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from faces.forms import PhotoUploadForm


def form_with(upload):
    return PhotoUploadForm(data={}, files={"photo": upload} if upload else {})


def upload(content, name="photo.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_missing_file():
    form = form_with(None)
    assert not form.is_valid()
    assert form.errors["photo"] == ["Please choose a photo to upload."]


def test_empty_file():
    form = form_with(upload(b""))
    assert not form.is_valid()
    assert form.errors["photo"] == ["The file is empty. Please choose a photo."]


def test_text_file():
    form = form_with(upload(b"just some notes\n" * 10, "notes.png", "text/plain"))
    assert not form.is_valid()
    (message,) = form.errors["photo"]
    assert "isn't an image we can read" in message
    assert form.has_error("photo", code="not_an_image")


def test_truncated_photo(astronaut, encode):
    data = encode(astronaut, "JPEG")
    form = form_with(upload(data[: len(data) // 2], "photo.jpg", "image/jpeg"))
    assert not form.is_valid()
    assert form.has_error("photo", code="corrupt")


def test_good_photo_is_decoded_once_for_the_view(astronaut, encode):
    data = encode(astronaut, "PNG")
    form = form_with(upload(data))
    assert form.is_valid(), form.errors
    photo = form.take_photo()
    assert photo.size == (512, 512) and photo.scale == 1.0
    assert photo.preview.shape == (512, 512, 3) and photo.preview.dtype == np.uint8
    assert np.array_equal(photo.preview, astronaut)
    assert photo.gray.shape == (512, 512)


def test_taken_photo_is_freed_while_the_form_lives_on(astronaut, encode):
    form = form_with(upload(encode(astronaut, "PNG")))
    assert form.is_valid(), form.errors
    photo = weakref.ref(form.take_photo())  # the view's reference, then gone
    assert photo() is None, "the form still holds the decoded pixels"
    assert form.cleaned_data["photo"].size > 0


@override_settings(MAX_UPLOAD_BYTES=1000)
def test_too_large_file_is_refused_unread(astronaut, encode):
    class UnreadableUpload(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("a file over the limit must not be read")

    photo = UnreadableUpload("photo.png", encode(astronaut, "PNG"), "image/png")
    form = form_with(photo)
    assert not form.is_valid()
    assert form.errors["photo"] == [
        "The photo is larger than 1000 bytes. Please upload a smaller version of it."
    ]


@override_settings(MAX_UPLOAD_BYTES=1000)
def test_file_whose_declared_size_lies(astronaut, encode):
    photo = upload(encode(astronaut, "PNG"))
    photo.size = 500
    form = form_with(photo)
    assert not form.is_valid()
    assert form.has_error("photo", code="too_large")


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "GIF"])
def test_other_formats(astronaut, encode, fmt):
    assert form_with(upload(encode(astronaut, fmt), "photo")).is_valid()


def test_big_jpeg_is_decoded_reduced_with_a_preview(astronaut, encode):
    photo = cv2.resize(astronaut, (4800, 3600), interpolation=cv2.INTER_LINEAR)
    form = form_with(upload(encode(photo, "JPEG"), "photo.jpg", "image/jpeg"))
    assert form.is_valid(), form.errors
    decoded = form.take_photo()
    assert decoded.size == (4800, 3600)
    # Half scale: the smallest face looked for (4800 / 32 = 150 px) stays >= 48 px.
    assert decoded.gray.shape == (1800, 2400)
    assert decoded.preview.shape == (675, 900, 3)
