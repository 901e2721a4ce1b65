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


def check_mapping(mapping):
    """Raise ValueError unless `mapping` gives every emotion one of MOODS."""
    if set(mapping) != set(EMOTIONS):
        raise ValueError("every emotion in faces.emotions.EMOTIONS needs a mood")
    if not set(mapping.values()) <= set(MOODS):
        raise ValueError("moods must be music.moods.MOODS")


check_mapping(EMOTION_TO_MOOD)  # at import: a wrong mapping stops the site


def mood_for(emotion):
    return EMOTION_TO_MOOD[emotion]
