"""The fixed emotion → music mood mapping: the one place it is written down."""

from faces.emotions import EMOTIONS
from music.moods import MOODS

# Negative, tense emotions get calm music (to soothe, not to match); surprise
# gets energy; happy and neutral get happy songs; sad gets sad songs.
EMOTION_TO_MOOD = {
    "angry": "calm",
    "disgust": "calm",
    "fear": "calm",
    "happy": "happy",
    "sad": "sad",
    "surprise": "energetic",
    "neutral": "happy",
}

assert set(EMOTION_TO_MOOD) == set(EMOTIONS), "every emotion needs a mood"
assert set(EMOTION_TO_MOOD.values()) <= set(MOODS), "moods must be music.mood.MOODS"


def mood_for(emotion):
    return EMOTION_TO_MOOD[emotion]
