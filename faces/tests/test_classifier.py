import json
import shutil

import numpy as np
import pytest
from django.conf import settings
from django.test import override_settings

from faces import classifier as classifier_module
from faces.classifier import (
    EMOTIONS,
    EmotionClassifier,
    ModelFailed,
    ModelNotAvailable,
)


def random_faces(count, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, 48, 48), np.uint8)


def test_emotions_are_fer2013_order():
    assert EMOTIONS == (
        "angry",
        "disgust",
        "fear",
        "happy",
        "sad",
        "surprise",
        "neutral",
    )


@pytest.mark.parametrize("count", [1, 3, 300])  # 300: more than one interpreter run
def test_probabilities_per_face(tiny_classifier, count):
    probabilities = tiny_classifier.predict_proba(random_faces(count))
    assert probabilities.shape == (count, 7) and probabilities.dtype == np.float32
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert (probabilities >= 0).all()


def test_no_faces_gives_an_empty_result(tiny_classifier):
    probabilities = tiny_classifier.predict_proba(np.zeros((0, 48, 48), np.uint8))
    assert probabilities.shape == (0, 7)


def test_batch_matches_one_by_one(emotion_models_dir):
    classifier = EmotionClassifier(emotion_models_dir, flip_tta=False)
    faces = random_faces(5)
    together = classifier.predict_proba(faces)
    alone = np.concatenate([classifier.predict_proba(face[None]) for face in faces])
    assert np.allclose(together, alone, atol=1e-6)
    # Different faces get different answers: the input really reaches the model.
    assert not np.allclose(together[0], together[1])


def test_flip_tta_averages_with_the_mirrored_face(emotion_models_dir):
    plain = EmotionClassifier(emotion_models_dir, flip_tta=False)
    with_tta = EmotionClassifier(emotion_models_dir, flip_tta=True)
    faces = random_faces(4)
    expected = (plain.predict_proba(faces) + plain.predict_proba(faces[:, :, ::-1])) / 2
    assert np.allclose(with_tta.predict_proba(faces), expected, atol=1e-6)


def test_predict_names_the_most_likely_emotion(tiny_classifier):
    faces = random_faces(3)
    best = tiny_classifier.predict_proba(faces).argmax(axis=1)
    assert tiny_classifier.predict(faces) == [EMOTIONS[i] for i in best]


@pytest.mark.parametrize(
    "faces, message",
    [
        (np.zeros((2, 48, 48), np.float32), "must be uint8"),
        (np.zeros((48, 48), np.uint8), r"shape \(N, 48, 48\)"),
        (np.zeros((1, 64, 64), np.uint8), r"shape \(N, 48, 48\)"),
        (np.zeros((1, 48, 48, 1), np.uint8), r"shape \(N, 48, 48\)"),
        ([[0] * 48] * 48, "numpy array"),
    ],
    ids=["float", "one-face-without-batch", "64px", "channel-axis", "list"],
)
def test_rejects_bad_input(tiny_classifier, faces, message):
    with pytest.raises(ValueError, match=message):
        tiny_classifier.predict_proba(faces)


def test_model_is_loaded_once_per_process(emotion_models_dir, fresh_model_cache):
    loads = []
    real_runner = classifier_module._LiteRTRunner

    def counting_runner(*args):
        loads.append(args)
        return real_runner(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(classifier_module, "_LiteRTRunner", counting_runner)
        with override_settings(MODELS_DIR=emotion_models_dir):
            first, second = EmotionClassifier(), EmotionClassifier()
    assert len(loads) == 1
    assert first.runner is second.runner
    assert first.version == "tiny-1"


def test_keras_file_is_the_fallback(emotion_models_dir, tmp_path, fresh_model_cache):
    shutil.copy(emotion_models_dir / "emotion_model.keras", tmp_path)
    keras_only = EmotionClassifier(tmp_path, flip_tta=False, allow_keras=True)
    lite = EmotionClassifier(emotion_models_dir, flip_tta=False)
    faces = random_faces(3)
    assert keras_only.model_path.suffix == ".keras"
    assert np.allclose(
        keras_only.predict_proba(faces), lite.predict_proba(faces), atol=1e-4
    )
    assert keras_only.version == "unknown"  # no metrics JSON next to it


def test_only_the_keras_file_is_reported_not_loaded(
    emotion_models_dir, tmp_path, fresh_model_cache
):
    """Loading .keras would pull TensorFlow into every worker (728 MB vs 165 MB)."""
    shutil.copy(emotion_models_dir / "emotion_model.keras", tmp_path)
    with pytest.raises(ModelNotAvailable, match="emotion_model.tflite is missing"):
        EmotionClassifier(tmp_path)
    assert not classifier_module._runners


def test_a_model_that_fails_when_run_or_answers_nan_is_model_failed(
    broken_emotion_models, fresh_model_cache
):
    for fault, message in (("fails", "failed when run"), ("nan", "NaN")):
        classifier = EmotionClassifier(broken_emotion_models[fault])  # loads
        with pytest.raises(ModelFailed, match=message):
            classifier.predict_proba(random_faces(1))


def test_missing_model_says_what_to_do(tmp_path):
    with pytest.raises(ModelNotAvailable, match="emotion model is not installed"):
        EmotionClassifier(tmp_path)


def test_unreadable_model_file(tmp_path, fresh_model_cache):
    (tmp_path / "emotion_model.tflite").write_bytes(b"not a flatbuffer")
    with pytest.raises(ModelNotAvailable, match="could not be loaded"):
        EmotionClassifier(tmp_path)


def test_model_with_the_wrong_shape(tmp_path, fresh_model_cache):
    keras = pytest.importorskip("keras")
    inputs = keras.Input((64, 64, 1))
    outputs = keras.layers.Dense(7, activation="softmax")(
        keras.layers.Flatten()(inputs)
    )
    keras.Model(inputs, outputs).save(tmp_path / "emotion_model.keras")
    with pytest.raises(ModelNotAvailable, match=r"expected \(N, 48, 48, 1\)"):
        EmotionClassifier(tmp_path, allow_keras=True)


def test_shipped_model(fresh_model_cache):
    models_dir = settings.MODELS_DIR
    if not any(
        (models_dir / name).is_file()
        for name in ("emotion_model.tflite", "emotion_model.keras")
    ):
        pytest.skip(f"no shipped emotion model in {models_dir}")
    classifier = EmotionClassifier()
    probabilities = classifier.predict_proba(random_faces(4))
    assert probabilities.shape == (4, 7)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    metrics = json.loads((models_dir / "emotion_model.json").read_text())
    assert classifier.version == str(metrics["version"])


def test_litert_threads_follow_the_setting(
    emotion_models_dir, fresh_model_cache, settings
):
    settings.LITERT_THREADS = 2
    EmotionClassifier(emotion_models_dir)
    assert [threads for _, _, threads in classifier_module._cache.runners] == [2]
    settings.LITERT_THREADS = 0  # the model's own default
    classifier_module._cache.clear()
    EmotionClassifier(emotion_models_dir)
    assert [threads for _, _, threads in classifier_module._cache.runners] == [
        classifier_module.DEFAULT_NUM_THREADS
    ]
