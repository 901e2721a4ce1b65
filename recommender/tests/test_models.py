import pytest

from faces.classifier import EMOTIONS
from recommender.models import GROUP, Pick, blend
from recommender.tests.conftest import face, probabilities


def test_a_portrait_follows_its_face_and_has_no_group(make_reading):
    reading = make_reading(face("fear", 0.7))
    assert reading.choice_keys() == ["1"]
    assert reading.default_choice() == "1"
    pick = reading.pick()
    assert (pick.predicted, pick.mood, pick.adjective) == ("fear", "calm", "afraid")
    assert pick.headline_prefix == "You look"
    assert reading.pick(GROUP) is None and reading.pick("2") is None


def test_a_group_photo_follows_the_group_blended_by_face_size(make_reading):
    big = face("happy", 0.9, box=(0, 0, 200, 200))  # area 40000
    small = face("fear", 0.9, box=(300, 0, 100, 100))  # area 10000
    reading = make_reading(big, small)
    assert reading.choice_keys() == ["1", "2", GROUP]
    group = reading.pick()
    assert group.is_group and group.label == "Whole group"
    assert group.probabilities["happy"] == pytest.approx((0.9 * 4 + 0.1 / 6) / 5)
    assert group.probabilities["fear"] == pytest.approx((0.1 / 6 * 4 + 0.9) / 5)
    assert sum(group.probabilities.values()) == pytest.approx(1)
    assert group.predicted == "happy"
    assert group.headline_prefix == "Together you look"
    assert reading.pick("2").predicted == "fear"
    assert reading.pick("2").label == "Face 2"


def test_blend_of_equal_faces_is_their_mean():
    faces = [
        {"box": [0, 0, 10, 10], "probabilities": probabilities("sad", 0.6)},
        {"box": [20, 0, 10, 10], "probabilities": probabilities("angry", 0.6)},
    ]
    blended = blend(faces)
    assert blended["sad"] == pytest.approx(blended["angry"])
    assert blended["sad"] == pytest.approx((0.6 + 0.4 / 6) / 2)


def test_an_unsure_reading_says_so_and_a_correction_wins():
    unsure = Pick(key="1", probabilities=probabilities("surprise", 0.33))
    assert unsure.uncertain
    assert unsure.headline_prefix == "Hard to tell — you look closest to"
    corrected = Pick(key="1", probabilities=unsure.probabilities, corrected="sad")
    assert not corrected.uncertain
    assert (corrected.emotion, corrected.mood) == ("sad", "sad")
    assert corrected.predicted == "surprise"
    assert corrected.headline_prefix == "You said you feel"


def test_every_emotion_sorts_its_probabilities():
    for emotion in EMOTIONS:
        pick = Pick(key="1", probabilities=probabilities(emotion, 0.5))
        assert pick.sorted_probabilities[0] == (emotion, 0.5)
