import dataclasses

import numpy as np
import pytest
from django.test import override_settings
from PIL import Image

from faces.analysis import FaceResult, analyze_image, analyze_rgb, face_crop
from faces.classifier import EMOTIONS, ModelNotAvailable
from faces.images import InvalidImage
from faces.tests.conftest import ASTRONAUT_FACE_CENTRE


def check_face(face):
    assert isinstance(face, FaceResult)
    assert list(face.probabilities) == list(EMOTIONS)
    assert sum(face.probabilities.values()) == pytest.approx(1, abs=1e-5)
    assert face.emotion == max(face.probabilities, key=face.probabilities.get)
    assert face.confidence == face.probabilities[face.emotion]
    assert all(isinstance(value, int) for value in face.box)


def test_astronaut_has_one_face(astronaut, encode, tiny_classifier):
    (face,) = analyze_image(encode(astronaut, "PNG"), classifier=tiny_classifier)
    check_face(face)
    x, y, w, h = face.box
    assert abs(x + w / 2 - ASTRONAUT_FACE_CENTRE[0]) < 20
    assert abs(y + h / 2 - ASTRONAUT_FACE_CENTRE[1]) < 20
    assert face.crop(astronaut).shape == (h, w, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        face.emotion = "happy"


def test_jpeg_upload_works_too(astronaut, encode, tiny_classifier):
    data = encode(astronaut, "JPEG", quality=85)
    (face,) = analyze_image(data, classifier=tiny_classifier)
    check_face(face)


def test_probabilities_are_the_classifiers_for_the_crop(astronaut, tiny_classifier):
    (face,) = analyze_rgb(astronaut, classifier=tiny_classifier)
    gray = np.asarray(Image.fromarray(astronaut).convert("L"))
    expected = tiny_classifier.predict_proba(face_crop(gray, face.box)[None])[0]
    assert list(face.probabilities.values()) == pytest.approx(expected, abs=1e-3)


def test_no_face_gives_an_empty_list(faceless, encode, tiny_classifier):
    assert analyze_image(encode(faceless, "PNG"), classifier=tiny_classifier) == []


def test_no_face_needs_no_model(faceless, tmp_path):
    with override_settings(MODELS_DIR=tmp_path):  # an empty folder: no model
        assert analyze_rgb(faceless) == []


def test_faces_come_largest_first(two_faces, encode, tiny_classifier):
    faces = analyze_image(encode(two_faces, "PNG"), classifier=tiny_classifier)
    assert len(faces) == 2
    for face in faces:
        check_face(face)
    large, small = faces
    assert large.box[2] * large.box[3] > small.box[2] * small.box[3]
    assert large.box[0] > small.box[0]  # the large head was pasted on the right


def test_sideways_photo_with_exif_orientation(astronaut, encode, tiny_classifier):
    stored = np.ascontiguousarray(np.rot90(astronaut))  # as a phone stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    tagged = encode(stored, "JPEG", quality=90, exif=exif.tobytes())
    untagged = encode(stored, "JPEG", quality=90)
    # Sideways, the frontal-face cascade finds nothing: the tag is what helps.
    assert analyze_image(untagged, classifier=tiny_classifier) == []
    (face,) = analyze_image(tagged, classifier=tiny_classifier)
    x, y, w, h = face.box
    assert abs(x + w / 2 - ASTRONAUT_FACE_CENTRE[0]) < 20
    assert abs(y + h / 2 - ASTRONAUT_FACE_CENTRE[1]) < 20


def test_bad_bytes_raise_invalid_image(tiny_classifier):
    with pytest.raises(InvalidImage):
        analyze_image(b"not an image", classifier=tiny_classifier)


def test_missing_model_is_reported(astronaut, tmp_path):
    with override_settings(MODELS_DIR=tmp_path):
        with pytest.raises(ModelNotAvailable):
            analyze_rgb(astronaut)


def test_face_crop_is_48x48_uint8():
    gray = np.arange(100 * 100, dtype=np.uint32).reshape(100, 100).astype(np.uint8)
    crop = face_crop(gray, (10, 20, 60, 60))
    assert crop.shape == (48, 48) and crop.dtype == np.uint8


def test_face_crop_margin_past_the_edge_repeats_edge_pixels():
    gray = np.zeros((100, 100), np.uint8)
    gray[:, :50] = 255  # left half white
    crop = face_crop(gray, (0, 0, 40, 40), margin=0.5)  # widened to -20..60
    assert crop.shape == (48, 48)
    assert (crop[:, :30] == 255).all()  # the white edge repeated leftwards
    assert (crop[:, -5:] == 0).all()


def test_small_face_is_upscaled():
    gray = np.full((30, 30), 7, np.uint8)
    assert (face_crop(gray, (5, 5, 20, 20)) == 7).all()
