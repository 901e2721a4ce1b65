"""The shipped mood model: its reported numbers, and the one we can re-check.

The shipped model was fitted on all of data_moods.csv, so scoring it there
would measure memory, not generalisation; its CV numbers come from the JSON.
The cross-catalogue score is re-measured: those songs were never trained on.
"""

import json

import numpy as np
import pandas as pd
import pytest
from django.conf import settings

from ml_training.artifacts import file_sha256
from ml_training.mood.training import TrainingOptions, prepare
from music.mood import MoodClassifier

SONGS = settings.SHARED_DATA_DIR / "songs"
SHIPPED = settings.BASE_DIR / "saved_models" / "mood_model.keras"
# Leakage-free baselines on data_moods (README_mood.md): MLP(8) 81.3%,
# logistic regression 80.6%, gradient boosting 81.8%. The shipped model must
# not fall below them. (The old 83% CV target is retired: the measure now is
# served precision, checked below.)
CV_BAND = (0.80, 0.95)


@pytest.fixture(scope="module")
def metadata():
    if not SHIPPED.exists():
        pytest.fail(f"{SHIPPED} is missing: run `python manage.py train_mood_model`")
    return json.loads(SHIPPED.with_suffix(".json").read_text())


def test_reported_cv_is_in_band_with_its_spread(metadata):
    cv = metadata["cv"]
    assert cv["folds"] == 10 and len(cv["fold_accuracies"]) == 10
    assert CV_BAND[0] <= cv["mean"] <= CV_BAND[1]
    assert cv["mean"] == pytest.approx(np.mean(cv["fold_accuracies"]), abs=1e-3)
    assert cv["std"] == pytest.approx(np.std(cv["fold_accuracies"]), abs=1e-3)
    assert np.array(cv["confusion"]).sum() == metadata["data"][0]["rows_used"]


def test_shipped_model_reproduces_its_cross_catalogue_accuracy(metadata):
    if not SONGS.is_dir():
        pytest.skip(f"{SONGS} is absent (shared data not checked out)")
    files = {record["file"]: record for record in metadata["data"]}
    cross = metadata["cross_catalogue"]
    for record in [*files.values(), cross]:
        if file_sha256(SONGS / record["file"]) != record["sha256"]:
            pytest.fail(f"{record['file']} differs from the file the model saw")
    main = next(r["file"] for r in metadata["data"] if r["role"] == "train")
    extra = [SONGS / r["file"] for r in metadata["data"] if r["role"] == "extra"]
    dataset = prepare(
        TrainingOptions(data=SONGS / main, extra=extra, cross=SONGS / cross["file"])
    )
    assert len(dataset.cross_test) == cross["n"]
    predicted = MoodClassifier(SHIPPED).predict(dataset.cross_test)
    accuracy = float(np.mean(predicted == dataset.cross_test["mood"].to_numpy()))
    assert accuracy == pytest.approx(cross["accuracy"], abs=0.01)


def test_shipped_model_reproduces_its_served_precision(metadata):
    from ml_training.mood import served

    if not SONGS.is_dir():
        pytest.skip(f"{SONGS} is absent (shared data not checked out)")
    reported = metadata["served_precision"]
    trained = [pd.read_csv(SONGS / record["file"]) for record in metadata["data"]]
    measured = served.evaluate(
        MoodClassifier(SHIPPED), SONGS / reported["file"], trained
    )
    assert measured["per_mood"] == reported["per_mood"]
    assert reported["model_version"] == metadata["version"]
