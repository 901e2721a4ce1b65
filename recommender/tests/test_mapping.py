import pytest

from faces.classifier import EMOTIONS
from music.mood import MOODS
from recommender.mapping import (
    EMOTION_TO_MOOD,
    LIFT,
    MATCH,
    direction_or_default,
    mood_for,
)


@pytest.mark.parametrize(
    "emotion, mood",
    [
        ("angry", "calm"),
        ("disgust", "calm"),
        ("fear", "calm"),
        ("surprise", "energetic"),
        ("happy", "happy"),
        ("neutral", "happy"),
        ("sad", "sad"),
    ],
)
def test_each_emotion_maps_to_its_mood(emotion, mood):
    assert mood_for(emotion) == mood


def test_mapping_covers_every_emotion_with_known_moods():
    assert set(EMOTION_TO_MOOD) == set(EMOTIONS)
    assert set(EMOTION_TO_MOOD.values()) <= set(MOODS)


def test_unknown_emotion_is_an_error():
    with pytest.raises(KeyError):
        mood_for("bored")


@pytest.mark.parametrize(
    "emotion, mood",
    [
        ("sad", "happy"),
        ("angry", "calm"),
        ("disgust", "calm"),
        ("fear", "calm"),
        ("neutral", "energetic"),
        ("happy", "happy"),
        ("surprise", "energetic"),
    ],
)
def test_lifting_maps_each_emotion_to_a_mood_that_leads_up(emotion, mood):
    assert mood_for(emotion, LIFT) == mood


def test_an_unknown_direction_is_match():
    assert direction_or_default("lift") == LIFT
    assert direction_or_default("sideways") == MATCH
    assert direction_or_default(None) == MATCH
