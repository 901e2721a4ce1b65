import pytest
from django.template import Context, Template

from faces.classifier import EMOTIONS
from recommender.wording import adjective, emotion_choices


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
