import pytest

from recommender.mapping import (
    EMOTION_TO_MOOD,
    LIFT,
    MATCH,
    check_mapping,
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


def test_a_mapping_missing_an_emotion_is_refused():
    mapping = dict(EMOTION_TO_MOOD)
    del mapping["fear"]
    with pytest.raises(ValueError, match="every emotion"):
        check_mapping(mapping)


def test_a_mapping_to_an_unknown_mood_is_refused():
    with pytest.raises(ValueError, match="music.moods.MOODS"):
        check_mapping(EMOTION_TO_MOOD | {"fear": "spooky"})


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
