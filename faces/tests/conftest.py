"""Faces test fixtures; photos and the stand-in model are in the root conftest."""

import cv2
import numpy as np
import pytest

from faces import classifier as classifier_module

# Where skimage.data.astronaut() has its one face (checked by eye on the image):
# the cascade's box is about (177, 66, 97, 97).
ASTRONAUT_FACE_CENTRE = (225, 115)


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
def two_faces(astronaut):
    """The astronaut's head twice: small on the left, large on the right."""
    head = astronaut[10:230, 120:330]  # the head with some hair, neck and sky
    small = cv2.resize(head, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    canvas = np.full((300, 460, 3), 200, np.uint8)
    canvas[40 : 40 + small.shape[0], 10 : 10 + small.shape[1]] = small
    canvas[40 : 40 + head.shape[0], 230 : 230 + head.shape[1]] = head
    return canvas
