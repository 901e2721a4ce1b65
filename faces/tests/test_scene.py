"""faces.scene: the scene-mood runtime, on a stand-in model and on the shipped one."""

import subprocess
import sys

import numpy as np
import pytest
from django.conf import settings

from faces import scene
from faces.scene import SceneModelNotAvailable, SceneMoodClassifier
from music.mood import MOODS


@pytest.fixture
def fresh_scene_cache():
    scene.clear_cache()
    yield
    scene.clear_cache()


@pytest.fixture
def stand_in(scene_models_dir, fresh_scene_cache):
    return SceneMoodClassifier(models_dir=scene_models_dir)


def plain(colour, size=(120, 160)):
    return np.full((*size, 3), colour, np.uint8)


def test_stand_in_reads_each_colour_as_its_mood(stand_in):
    photos = [plain((255, 0, 0)), plain((0, 255, 0)), plain((0, 0, 255)), plain(0)]
    assert stand_in.predict(photos) == ["energetic", "happy", "calm", "sad"]


def test_probabilities_are_n_by_4_in_moods_order_and_sum_to_one(stand_in):
    probabilities = stand_in.predict_proba([plain((0, 0, 255)), plain(0)])
    assert probabilities.shape == (2, len(MOODS))
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert probabilities[0].argmax() == MOODS.index("calm")


def test_no_photos_gives_an_empty_answer_without_loading(stand_in):
    assert stand_in.predict_proba([]).shape == (0, len(MOODS))
    assert scene._runners == {}


def test_more_photos_than_one_run_takes(stand_in):
    photos = [plain((0, 255, 0))] * (scene.MAX_BATCH * 2 + 3)
    assert stand_in.predict(photos) == ["happy"] * len(photos)


@pytest.mark.parametrize(
    "shape",
    [(8, 8, 3), (40, 800, 3), (800, 40, 3), (1, 1, 3), (2000, 100, 3)],
    ids=["8x8", "20:1 panorama", "1:20 tower", "one pixel", "tall 2000 px"],
)
def test_odd_sizes_read(stand_in, shape):
    photo = np.zeros(shape, np.uint8)
    photo[..., 2] = 255
    assert stand_in.predict([photo]) == ["calm"]


def test_gray_photos_read_as_rgb(stand_in):
    gray = np.full((50, 60), 10, np.uint8)
    assert stand_in.predict([gray, gray[..., np.newaxis]]) == ["sad", "sad"]


@pytest.mark.parametrize(
    "photo, message",
    [
        (np.zeros((10, 10, 3), np.uint16), "uint8"),
        (np.zeros((10, 10, 3), np.float32), "uint8"),
        (np.zeros((10, 10, 4), np.uint8), "RGB"),
        (np.zeros((0, 10, 3), np.uint8), "pixels"),
        (np.zeros((2, 2, 2, 3), np.uint8), "RGB"),
        ([[1, 2], [3, 4]], "numpy array"),
    ],
    ids=["16-bit", "float", "RGBA", "empty", "4-d", "list"],
)
def test_what_cannot_be_a_photo_gets_a_clear_error(stand_in, photo, message):
    with pytest.raises(ValueError, match=message):
        stand_in.predict_proba([photo])


def test_the_model_loads_once_per_process_and_lazily(
    scene_models_dir, fresh_scene_cache
):
    first = SceneMoodClassifier(models_dir=scene_models_dir)
    assert scene._runners == {}  # constructing loads nothing
    first.predict([plain(0)])
    SceneMoodClassifier(models_dir=scene_models_dir).predict([plain(0)])
    assert len(scene._runners) == 1


def test_a_missing_model_says_how_to_get_one(tmp_path, fresh_scene_cache):
    with pytest.raises(SceneModelNotAvailable, match="train_scene_model"):
        SceneMoodClassifier(models_dir=tmp_path).predict_proba([plain(0)])


def test_an_unreadable_model_says_so(tmp_path, fresh_scene_cache):
    (tmp_path / scene.TFLITE_FILE).write_bytes(b"not a flatbuffer")
    with pytest.raises(SceneModelNotAvailable, match="could not be loaded"):
        SceneMoodClassifier(models_dir=tmp_path).predict_proba([plain(0)])


def test_a_model_of_another_shape_is_refused(emotion_models_dir, tmp_path):
    (tmp_path / scene.TFLITE_FILE).write_bytes(
        (emotion_models_dir / "emotion_model.tflite").read_bytes()
    )
    scene.clear_cache()
    with pytest.raises(SceneModelNotAvailable, match="expected float32"):
        SceneMoodClassifier(models_dir=tmp_path).predict_proba([plain(0)])
    scene.clear_cache()


def test_version_comes_from_the_report(scene_models_dir, tmp_path):
    assert SceneMoodClassifier(models_dir=scene_models_dir).version == "tiny-scene"
    assert SceneMoodClassifier(models_dir=tmp_path).version == "unknown"


def test_importing_and_predicting_loads_neither_tensorflow_nor_torch(scene_models_dir):
    """What a web worker pays: LiteRT only."""
    code = (
        "import sys, numpy as np, django;"
        "from django.conf import settings;"
        "settings.configure();"
        "from faces.scene import SceneMoodClassifier;"
        f"SceneMoodClassifier(models_dir={str(scene_models_dir)!r})"
        ".predict_proba([np.zeros((9, 9, 3), np.uint8)]);"
        "print(sorted(m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert result.stdout.strip() == "[]"


SHIPPED = settings.MODELS_DIR / scene.TFLITE_FILE

shipped = pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped scene model")


@shipped
def test_shipped_model_answers_every_odd_photo(fresh_scene_cache):
    classifier = SceneMoodClassifier()
    rng = np.random.default_rng(0)
    photos = [
        rng.integers(0, 256, (8, 8, 3), dtype=np.uint8),
        rng.integers(0, 256, (50, 1000, 3), dtype=np.uint8),
        rng.integers(0, 256, (480, 640), dtype=np.uint8),
        np.zeros((224, 224, 3), np.uint8),
    ]
    probabilities = classifier.predict_proba(photos)
    assert probabilities.shape == (4, len(MOODS))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert (probabilities >= 0).all()


def test_litert_threads_follow_the_setting(scene_models_dir, settings):
    settings.LITERT_THREADS = 2
    assert SceneMoodClassifier(models_dir=scene_models_dir).num_threads == 2
    settings.LITERT_THREADS = 0  # the model's own default
    assert SceneMoodClassifier(models_dir=scene_models_dir).num_threads == (
        scene.DEFAULT_NUM_THREADS
    )
