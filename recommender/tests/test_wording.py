import pytest
from django.template import Context, Template

from faces.classifier import EMOTIONS
from recommender.mapping import LIFT
from recommender.wording import (
    adjective,
    blend_note,
    emotion_choices,
    headline_prefix,
    why,
    with_article,
)


@pytest.mark.parametrize(
    ("emotion", "words"),
    [("fear", "afraid"), ("disgust", "disgusted"), ("surprise", "surprised")],
)
def test_the_model_s_nouns_read_as_adjectives_after_you_look(emotion, words):
    assert adjective(emotion) == words


def test_choices_keep_the_models_order_and_capitalise():
    assert [value for value, _ in emotion_choices()] == list(EMOTIONS)
    assert dict(emotion_choices())["fear"] == "Afraid"


def test_feeling_filter():
    template = Template("{% load feelings %}You look {{ e|feeling }}")
    assert template.render(Context({"e": "disgust"})) == "You look disgusted"


def test_articles_fit_the_word():
    assert with_article("energetic") == "an energetic"
    assert with_article("calm") == "a calm"
    template = Template("{% load feelings %}Songs for {{ m|article }} mood")
    assert template.render(Context({"m": "energetic"})) == "Songs for an energetic mood"


def test_the_blend_note_counts_the_faces_in_words():
    assert blend_note(2).startswith("Both faces' readings blended")
    assert blend_note(3).startswith("All 3 faces' readings blended")


def test_headlines_fit_who_is_reading_and_which_face():
    def prefix(**kwargs):
        base = {
            "is_group": False,
            "face_number": "1",
            "face_count": 1,
            "corrected": "",
            "uncertain": False,
        }
        return headline_prefix(**(base | kwargs))

    assert prefix() == "You look"
    assert prefix(own=False) == "They look"
    assert prefix(face_number="2", face_count=3) == "Face 2 looks"
    assert (
        prefix(is_group=True, face_number="group", face_count=2) == "Together you look"
    )
    assert prefix(corrected="sad", own=False) == "They said they feel"
    assert (
        prefix(corrected="sad", face_number="2", face_count=2)
        == "You said face 2 feels"
    )
    assert prefix(uncertain=True, own=False) == "Hard to tell — they look closest to"


def test_every_mood_that_differs_from_its_emotion_says_why():
    assert why("neutral") == "Neutral gets happy music when the music matches the mood."
    assert why("neutral", LIFT) == "Energetic music, to lift a neutral mood."
    assert why("sad") == "" and why("happy", LIFT) == ""
