"""Fixtures shared by every app's tests (helpers in moodsite/testing.py)."""

import numpy as np
import pytest
import skimage.data

from moodsite import testing


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (the song pool's bands live there)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def emotion_models_dir(tmp_path_factory):
    """A folder holding a tiny stand-in emotion model (built once per test run)."""
    return testing.build_tiny_emotion_model(tmp_path_factory.mktemp("emotion_models"))


@pytest.fixture
def stand_in_emotion_model(settings, emotion_models_dir):
    """The site (views, a live server's thread) runs on the stand-in model."""
    from faces import classifier

    settings.MODELS_DIR = emotion_models_dir
    classifier.clear_cache()
    yield emotion_models_dir
    classifier.clear_cache()


@pytest.fixture(scope="session")
def broken_emotion_models(tmp_path_factory):
    """{"nan": folder, "fails": folder}: models that load but cannot serve."""
    return {
        fault: testing.build_broken_emotion_model(
            tmp_path_factory.mktemp(f"broken_{fault}"), fault
        )
        for fault in ("nan", "fails")
    }


@pytest.fixture(params=["nan", "fails"])
def broken_emotion_model(request, settings, broken_emotion_models):
    """The site runs on a model that answers NaN, or fails when run."""
    from faces import classifier

    settings.MODELS_DIR = broken_emotion_models[request.param]
    classifier.clear_cache()
    yield request.param
    classifier.clear_cache()


@pytest.fixture(scope="session")
def scene_models_dir(tmp_path_factory):
    """A folder holding a stand-in scene model (colour decides the mood)."""
    return testing.build_tiny_scene_model(tmp_path_factory.mktemp("scene_models"))


@pytest.fixture
def stand_in_scene_model(settings, emotion_models_dir, scene_models_dir, tmp_path):
    """The site runs on both stand-ins: faces first, and the scene model
    (colour decides the mood) for photos without faces."""
    import shutil

    from faces import classifier, scene

    for folder in (emotion_models_dir, scene_models_dir):
        for path in folder.iterdir():
            shutil.copy(path, tmp_path / path.name)
    settings.MODELS_DIR = tmp_path
    classifier.clear_cache()
    scene.clear_cache()
    yield tmp_path
    classifier.clear_cache()
    scene.clear_cache()


@pytest.fixture(scope="session")
def astronaut():
    """uint8 (512, 512, 3) RGB photo with exactly one (frontal, smiling) face."""
    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def faceless():
    """A smooth gradient with some noise: nothing face-like in it."""
    rng = np.random.default_rng(0)
    gradient = np.linspace(0, 255, 400)[np.newaxis, :] * np.ones((300, 1))
    noisy = gradient + rng.normal(0, 10, gradient.shape)
    gray = np.clip(noisy, 0, 255).astype(np.uint8)
    return np.dstack([gray, gray, gray])


@pytest.fixture(scope="session")
def encode():
    """encode(rgb, format="PNG", **Pillow save options) -> file bytes."""
    return testing.encode_image


@pytest.fixture
def make_songs(db):
    """make_songs(mood, n, **fields) -> n classified songs of that mood."""

    def make(mood, n, **fields):
        return [testing.make_song(predicted_mood=mood, **fields) for _ in range(n)]

    return make
