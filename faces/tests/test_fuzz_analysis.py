"""analyze_image on random and damaged bytes: a list or InvalidImage, nothing else."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from faces.analysis import analyze_image
from faces.images import InvalidImage

SMALL_PHOTOS = []
for fmt in ("JPEG", "PNG", "WEBP", "BMP", "GIF"):
    buffer = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 256, (24, 32, 3), np.uint8)
    Image.fromarray(pixels).save(buffer, fmt)
    SMALL_PHOTOS.append(buffer.getvalue())


def analyse(data, classifier):
    try:
        result = analyze_image(data, classifier=classifier)
    except InvalidImage as error:
        assert error.message and error.code
        return
    assert isinstance(result, list)


@pytest.fixture(scope="module")
def classifier(emotion_models_dir):
    from faces.classifier import EmotionClassifier

    return EmotionClassifier(models_dir=emotion_models_dir)


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(data, classifier):
    analyse(data, classifier)


@FUZZ
@given(
    photo=st.sampled_from(SMALL_PHOTOS),
    cut=st.integers(min_value=0, max_value=2000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(1, 255)), max_size=8),
)
def test_damaged_real_photos(photo, cut, flips, classifier):
    data = bytearray(photo[: max(0, len(photo) - cut)] if cut else photo)
    for position, mask in flips:
        if data:
            data[position % len(data)] ^= mask
    analyse(bytes(data), classifier)
