"""How the site says each emotion: the one place for these words."""

from faces.emotions import EMOTIONS

# "You look ___": the adjective for each of the model's emotion names.
EMOTION_ADJECTIVES = {
    "angry": "angry",
    "disgust": "disgusted",
    "fear": "afraid",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral",
}

if set(EMOTION_ADJECTIVES) != set(EMOTIONS):  # at import: stops the site
    raise ValueError("every emotion in faces.emotions.EMOTIONS needs its words")


def adjective(emotion):
    """'fear' -> 'afraid': the word that follows "You look"."""
    return EMOTION_ADJECTIVES[emotion]


def emotion_choices():
    """(emotion, "Afraid") pairs in EMOTIONS order, for forms and admin tables."""
    return [(emotion, adjective(emotion).capitalize()) for emotion in EMOTIONS]
