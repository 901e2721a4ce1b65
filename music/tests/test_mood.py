"""MoodClassifier: loading, catalogue columns as they come, scores."""

import numpy as np
import pandas as pd
import pytest

from moodsite.testing import MOOD_MODEL_FEATURES as FEATURES
from moodsite.testing import MOOD_MODEL_MEANS as MEANS
from moodsite.testing import build_tiny_mood_model as write_mood_model
from music.features import OPTIONAL_FEATURES, REQUIRED_FEATURES
from music.mood import ModelNotAvailable, MoodClassifier


def songs(**columns):
    frame = {name: [0.5, 0.5] for name in REQUIRED_FEATURES}
    frame.update(duration_ms=[200000, 180000], key=[1, 7])
    frame.update(columns)
    return pd.DataFrame(frame)


@pytest.fixture
def model_path(tmp_path):
    return write_mood_model(tmp_path / "models")


def test_predicts_moods_from_raw_features(model_path):
    classifier = MoodClassifier(model_path)
    frame = songs(valence=[0.95, 0.05], energy=[0.5, 0.5])
    probabilities = classifier.predict_proba(frame)
    assert probabilities.shape == (2, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert list(classifier.predict(frame)) == ["happy", "sad"]
    assert classifier.version == "test-v1"


def test_default_path_is_models_dir_and_loaded_once(settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "models"
    write_mood_model(settings.MODELS_DIR)
    first, second = MoodClassifier(), MoodClassifier()
    assert first.model is second.model


def test_a_replaced_model_file_is_reloaded(settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "models"
    write_mood_model(settings.MODELS_DIR, version="old")
    assert MoodClassifier().version == "old"
    write_mood_model(settings.MODELS_DIR, favour="sad", version="new")
    assert MoodClassifier().version == "new"


def test_original_case_and_catalogue_column_names(model_path):
    """Exportify says 'Valence' and 'Track Duration (ms)', data_moods 'length'."""
    classifier = MoodClassifier(model_path)
    lower = songs(valence=[0.9, 0.1])
    exportify = lower.rename(columns=str.title).rename(
        columns={"Duration_Ms": "Track Duration (ms)"}
    )
    data_moods = lower.rename(columns={"duration_ms": "length"})
    expected = classifier.predict_proba(lower)
    np.testing.assert_allclose(classifier.predict_proba(exportify), expected)
    np.testing.assert_allclose(classifier.predict_proba(data_moods), expected)


def test_extra_columns_are_ignored(model_path):
    classifier = MoodClassifier(model_path)
    plain = songs(valence=[0.9, 0.1])
    extra = plain.assign(name=["a", "b"], popularity=[1, 2], mood=["x", "y"])
    np.testing.assert_allclose(
        classifier.predict_proba(extra), classifier.predict_proba(plain)
    )


@pytest.mark.parametrize("optional", ["duration_ms", "key"])
def test_missing_optional_column_takes_the_training_mean(model_path, optional):
    classifier = MoodClassifier(model_path)
    frame = songs(valence=[0.9, 0.1])
    filled = frame.assign(**{optional: MEANS[optional]})
    np.testing.assert_allclose(
        classifier.predict_proba(frame.drop(columns=optional)),
        classifier.predict_proba(filled),
    )


def test_empty_optional_cells_take_the_training_mean(model_path):
    classifier = MoodClassifier(model_path)
    empty = classifier.predict_proba(songs(key=[None, 7]))
    filled = classifier.predict_proba(songs(key=[MEANS["key"], 7]))
    np.testing.assert_allclose(empty, filled)


@pytest.mark.parametrize("optional", ["duration_ms", "key"])
def test_the_tiny_model_reads_the_optional_features(model_path, optional):
    """So the tests above, which fill them, would see a wrong value."""
    classifier = MoodClassifier(model_path)
    low = classifier.predict_proba(songs(**{optional: [0, 0]}))
    high = classifier.predict_proba(songs(**{optional: [10 * MEANS[optional]] * 2}))
    assert np.abs(low - high).max() > 0.01


def test_optional_features_the_model_does_not_use_may_be_absent(model_path):
    frame = songs().drop(columns=[c for c in OPTIONAL_FEATURES if c in songs()])
    assert MoodClassifier(model_path).predict(frame).shape == (2,)


@pytest.mark.parametrize("required", ["valence", "tempo"])
def test_missing_required_column_is_a_clear_error(model_path, required):
    with pytest.raises(ValueError, match=f"missing required column '{required}'"):
        MoodClassifier(model_path).predict(songs().drop(columns=required))


def test_empty_required_cell_is_a_clear_error(model_path):
    with pytest.raises(ValueError, match="'energy' has 1 empty or non-numeric"):
        MoodClassifier(model_path).predict(songs(energy=[0.5, "n/a"]))


def test_no_rows_gives_no_predictions(model_path):
    classifier = MoodClassifier(model_path)
    assert classifier.predict_proba(songs().iloc[:0]).shape == (0, 4)


def test_missing_model_is_model_not_available(tmp_path):
    with pytest.raises(ModelNotAvailable, match="train_mood_model"):
        MoodClassifier(tmp_path / "nothing.keras")


def test_unreadable_model_is_model_not_available(model_path):
    model_path.write_bytes(b"not a keras file")
    with pytest.raises(ModelNotAvailable, match="cannot read mood model"):
        MoodClassifier(model_path)


def test_missing_metadata_is_model_not_available(model_path):
    model_path.with_suffix(".json").unlink()
    with pytest.raises(ModelNotAvailable, match="metadata"):
        MoodClassifier(model_path)


def test_score_ranks_by_probability_times_mood_intensity(model_path):
    classifier = MoodClassifier(model_path)
    frame = songs(valence=[0.95, 0.8])
    probabilities = classifier.predict_proba(frame)
    assert list(classifier.labels(probabilities)) == ["happy", "happy"]
    scores = classifier.score(frame)
    np.testing.assert_allclose(scores, probabilities[:, 1] * [0.95, 0.8], rtol=1e-5)
    assert scores[0] > scores[1]


def test_score_in_a_given_mood_uses_that_moods_probability(model_path):
    classifier = MoodClassifier(model_path)
    frame = songs(valence=[0.95, 0.95], energy=[0.2, 0.2])
    probabilities = classifier.predict_proba(frame)
    scores = classifier.score(frame, moods=["happy", "calm"])
    np.testing.assert_allclose(scores[1], probabilities[1, 0] * (1 - 0.2), rtol=1e-5)
    assert scores[0] > scores[1]


def test_forward_pass_handles_a_big_catalogue_at_once(model_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({name: rng.random(30_000) for name in FEATURES})
    probabilities = MoodClassifier(model_path).predict_proba(frame)
    assert probabilities.shape == (30_000, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
