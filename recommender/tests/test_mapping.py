import pytest

from recommender.mapping import EMOTION_TO_MOOD, check_mapping, mood_for


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
