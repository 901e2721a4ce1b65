import numpy as np
import pytest

from ml_training.face.evaluation import (
    expected_calibration_error,
    measure,
    paired_difference,
    per_subject,
)


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


def test_paired_difference_counts_faces_newly_right_and_newly_wrong():
    before = np.array([1, 1, 0, 0, 1, 0, 1, 0], dtype=bool)
    after = np.array([1, 0, 1, 1, 1, 0, 1, 0], dtype=bool)
    paired = paired_difference(after, before)
    assert paired["difference"] == pytest.approx(1 / 8)
    assert (paired["newly_right"], paired["newly_wrong"]) == (2, 1)
    low, high = paired["interval"]
    assert low < 1 / 8 < high


def test_paired_interval_is_narrow_for_many_faces_and_excludes_zero_for_a_clear_gain():
    rng = np.random.default_rng(0)
    before = rng.random(5000) < 0.6
    after = before | (rng.random(5000) < 0.1)  # a tenth of the faces fixed
    low, high = paired_difference(after, before)["interval"]
    assert 0.02 < low < high < 0.06


def test_resampling_whole_groups_widens_the_interval_when_faces_in_a_group_agree():
    # 40 people of 10 alike faces each: 400 faces, but only 40 independent draws.
    rng = np.random.default_rng(1)
    person_changes = rng.choice([-1.0, 0.0, 1.0], 40, p=[0.3, 0.4, 0.3])
    change = np.repeat(person_changes, 10)
    before = change < 0
    after = change > 0
    people = np.repeat(np.arange(40), 10)

    def width(groups):
        low, high = paired_difference(after, before, groups)["interval"]
        return high - low

    assert width(people) > 2 * width(None)
