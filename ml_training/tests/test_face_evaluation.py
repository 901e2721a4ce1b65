import numpy as np
import pytest

from ml_training.face.evaluation import expected_calibration_error, measure, per_subject


def test_calibration_error_is_zero_when_confidence_matches_accuracy():
    # Ten faces said 80% sure, eight of them right: perfectly calibrated.
    probabilities = np.full((10, 7), 0.2 / 6)
    probabilities[:, 0] = 0.8
    labels = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.0)


def test_calibration_error_is_the_gap_for_an_overconfident_model():
    probabilities = np.full((10, 7), 0.01 / 6)
    probabilities[:, 0] = 0.99
    labels = np.array([0] * 5 + [1] * 5)  # 99% sure, half right
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.49)


def test_per_subject_summarises_who_is_read_well_and_who_not_at_all():
    correct = np.array([1, 1, 0, 0, 1, 0], dtype=bool)
    subjects = np.array(["a", "a", "b", "b", "c", "c"])
    summary = per_subject(correct, subjects)
    assert summary == {
        "subjects": 3,
        "median": 0.5,
        "worst_decile": 0.1,
        "all_right": 1,
        "none_right": 1,
    }


def test_measure_counts_neutral_answers_against_neutral_faces():
    probabilities = np.eye(7)[[6, 6, 6, 0]]
    figures = measure(probabilities, np.array([6, 0, 4, 0]))
    assert figures["accuracy"] == 0.5
    assert (figures["neutral_answers"], figures["neutral_faces"]) == (3, 1)
    assert figures["per_class"]["angry"]["recall"] == 0.5


def test_mean_recall_weighs_each_emotion_the_set_holds_alike():
    # Nine happy faces read right, one disgust face read wrong: accuracy 90%,
    # but on a set with both equally often half the answers would be wrong.
    probabilities = np.eye(7)[[3] * 10]
    figures = measure(probabilities, np.array([3] * 9 + [1]))
    assert figures["accuracy"] == 0.9
    assert figures["mean_recall"] == 0.5
