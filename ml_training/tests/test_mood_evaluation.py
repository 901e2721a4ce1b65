"""Cross-validation without leakage: a fold's model never sees its test rows."""

import numpy as np
import pytest

from ml_training.mood.evaluation import classification_report, cross_validate
from ml_training.mood.model import (
    ModelConfig,
    build_models,
    normalization_statistics,
    predict_proba,
)


def synthetic(n=60, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(4), n // 4)
    features = rng.normal(size=(n, 3)) + labels[:, None]
    # Each row unique, so a row seen in training can be recognised.
    features[:, 2] = np.arange(n)
    return features.astype(np.float32), labels


def test_each_fold_trains_without_its_test_rows_and_tests_each_row_once():
    features, labels = synthetic()
    extra = (np.full((5, 3), 1000.0, dtype=np.float32), np.zeros(5, dtype=np.int64))
    seen = []

    def spy_fit(train_features, train_labels, seed):
        trained_rows = {tuple(row) for row in train_features}
        calls = {"trained": trained_rows, "tested": []}
        seen.append(calls)

        def predict(batch):
            calls["tested"].append(batch.copy())
            return np.eye(4)[np.zeros(len(batch), dtype=int)]

        return predict

    result = cross_validate(features, labels, spy_fit, folds=5, seed=0, extra=extra)
    assert len(seen) == 5
    tested_rows = []
    for calls in seen:
        (tested,) = calls["tested"]
        tested = {tuple(row) for row in tested}
        assert not tested & calls["trained"], "a test row was in its fold's training"
        assert {tuple(row) for row in extra[0]} <= calls["trained"]
        tested_rows.extend(tested)
    assert sorted(tested_rows) == sorted(tuple(row) for row in features)
    assert (result.predictions >= 0).all()


def test_keras_normalization_is_adapted_on_the_training_fold_only():
    """Test rows carry a huge value: a leaked normalisation would show it."""
    features, labels = synthetic(n=40)
    models = []

    def fit(train_features, train_labels, seed):
        # The layers fit_model trains; adapting is the part that could leak.
        model, _ = build_models(ModelConfig(hidden=(4,), members=2), train_features)
        models.append((model, train_features))
        return lambda batch: predict_proba(model, batch)

    cross_validate(features, labels, fit, folds=2, seed=0)
    for model, train_features in models:
        mean, variance = normalization_statistics(model)
        np.testing.assert_allclose(mean, train_features.mean(axis=0), rtol=1e-4)
        np.testing.assert_allclose(variance, train_features.var(axis=0), rtol=1e-3)
        assert not np.allclose(mean, features.mean(axis=0), rtol=1e-3)


def test_cross_catalogue_is_scored_by_every_fold_model():
    features, labels = synthetic()
    cross = (features[:8], labels[:8])

    def oracle_fit(train_features, train_labels, seed):
        lookup = {row[2]: label for row, label in zip(features, labels, strict=True)}
        return lambda batch: np.eye(4)[[lookup[row[2]] for row in batch]]

    result = cross_validate(features, labels, oracle_fit, folds=4, cross=cross)
    assert result.fold_accuracies == [1.0] * 4
    assert result.cross_fold_accuracies == [1.0] * 4
    assert result.mean == 1.0 and result.std == 0.0


def test_classification_report_counts():
    report = classification_report([0, 0, 1, 3], [0, 1, 1, 3])
    assert report["accuracy"] == pytest.approx(0.75)
    assert report["confusion"][0] == [1, 1, 0, 0]
    assert report["per_class"]["happy"]["precision"] == pytest.approx(0.5)
    assert report["per_class"]["calm"]["recall"] == pytest.approx(0.5)
    assert report["per_class"]["energetic"]["support"] == 0
