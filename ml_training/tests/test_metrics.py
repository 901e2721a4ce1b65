"""ml_training.metrics: the figures every model report carries."""

import numpy as np
import pytest

from ml_training.metrics import classification_figures, reliability


def test_calibration_error_of_a_calibrated_and_an_overconfident_model():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    # 60% confident and right 60% of the time (the 1s): calibrated.
    calibrated = np.tile([0.4, 0.6, 0.0, 0.0], (10, 1))
    assert reliability(calibrated, labels)[0] == pytest.approx(0.0)
    overconfident = np.tile([0.0, 1.0, 0.0, 0.0], (10, 1))
    error, bins = reliability(overconfident, labels)
    assert error == pytest.approx(0.4)
    assert bins == [[1.0, 0.6, 10]]


def test_figures_name_each_class_and_count_the_truth_by_rows():
    labels = np.array([0, 0, 1, 2])
    probabilities = np.eye(3)[[0, 1, 1, 1]]
    figures = classification_figures(probabilities, labels, ("a", "b", "c"))
    assert figures["accuracy"] == 0.5
    assert figures["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    assert figures["per_class"]["a"]["recall"] == 0.5
    assert figures["per_class"]["b"]["precision"] == pytest.approx(0.3333)
    assert figures["per_class"]["c"]["support"] == 1
