from django.template import Context, Template

from faces.classifier import EMOTIONS
from recommender.wording import EMOTION_ADJECTIVES, adjective, emotion_choices


def test_every_emotion_reads_right_after_you_look():
    assert {emotion: adjective(emotion) for emotion in EMOTIONS} == {
        "angry": "angry",
        "disgust": "disgusted",
        "fear": "afraid",
        "happy": "happy",
        "sad": "sad",
        "surprise": "surprised",
        "neutral": "neutral",
    }
    assert set(EMOTION_ADJECTIVES) == set(EMOTIONS)


def test_choices_keep_the_models_order_and_capitalise():
    assert [value for value, _ in emotion_choices()] == list(EMOTIONS)
    assert dict(emotion_choices())["fear"] == "Afraid"


def test_feeling_filter():
    template = Template("{% load feelings %}You look {{ e|feeling }}")
    assert template.render(Context({"e": "disgust"})) == "You look disgusted"
