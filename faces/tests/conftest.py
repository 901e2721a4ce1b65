"""Shared fixtures: a tiny stand-in emotion model and photos made in memory."""

import io
import json

import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image

from faces import classifier as classifier_module

# Where skimage.data.astronaut() has its one face (checked by eye on the image):
# the cascade's box is about (177, 66, 97, 97).
ASTRONAUT_FACE_CENTRE = (225, 115)


@pytest.fixture(scope="session")
def emotion_models_dir(tmp_path_factory):
    """A tiny untrained model with the shipped model's inputs and outputs.

    Input (48, 48, 1) raw 0..255 -> Rescaling -> conv -> pooling -> softmax(7),
    saved as .keras and converted to .tflite, with a metrics JSON, so the tests
    never depend on the trained weights in saved_models/.
    """
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    keras.utils.set_random_seed(0)
    inputs = keras.Input((48, 48, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(7, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    models_dir = tmp_path_factory.mktemp("emotion_models")
    model.save(models_dir / "emotion_model.keras")
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    (models_dir / "emotion_model.tflite").write_bytes(tflite)
    (models_dir / "emotion_model.json").write_text(json.dumps({"version": "tiny-1"}))
    return models_dir


@pytest.fixture
def fresh_model_cache():
    """Each test that counts loads starts with no model loaded, and ends so too."""
    classifier_module.clear_cache()
    yield
    classifier_module.clear_cache()


@pytest.fixture
def tiny_classifier(emotion_models_dir):
    return classifier_module.EmotionClassifier(models_dir=emotion_models_dir)


@pytest.fixture(scope="session")
def astronaut():
    """uint8 (512, 512, 3) RGB photo with exactly one (frontal, smiling) face."""
    return skimage.data.astronaut()


def encode_image(rgb, format="PNG", **options):
    """RGB pixels -> the bytes of an image file, as an upload would carry."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def encode():
    """encode(rgb, format="PNG", **Pillow save options) -> file bytes."""
    return encode_image


@pytest.fixture(scope="session")
def two_faces(astronaut):
    """The astronaut's head twice: small on the left, large on the right."""
    head = astronaut[10:230, 120:330]  # the head with some hair, neck and sky
    small = cv2.resize(head, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    canvas = np.full((300, 460, 3), 200, np.uint8)
    canvas[40 : 40 + small.shape[0], 10 : 10 + small.shape[1]] = small
    canvas[40 : 40 + head.shape[0], 230 : 230 + head.shape[1]] = head
    return canvas


@pytest.fixture(scope="session")
def faceless():
    """A smooth gradient with some noise: nothing face-like in it."""
    rng = np.random.default_rng(0)
    gradient = np.linspace(0, 255, 400)[np.newaxis, :] * np.ones((300, 1))
    noisy = gradient + rng.normal(0, 10, gradient.shape)
    gray = np.clip(noisy, 0, 255).astype(np.uint8)
    return np.dstack([gray, gray, gray])
