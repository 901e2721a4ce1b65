"""The fixed emotion → music mood mappings: the one place they are written down.

A visitor chooses between two: *Match my mood* (MATCH, what the site always
did) and *Lift my mood* (LIFT, music that leads away from a low mood).
"""

from faces.emotions import EMOTIONS
from music.moods import MOODS

MATCH = "match"
LIFT = "lift"
DIRECTIONS = (MATCH, LIFT)

# Match: negative, tense emotions get calm music (to soothe, not to match); surprise
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

# Lift: sadness gets happy songs, neutral gets energy, tension still gets calm
# (energy would feed it); moods already up stay where they are.
LIFT_EMOTION_TO_MOOD = {
    "angry": "calm",
    "disgust": "calm",
    "fear": "calm",
    "happy": "happy",
    "sad": "happy",
    "surprise": "energetic",
    "neutral": "energetic",
}

MAPPINGS = {MATCH: EMOTION_TO_MOOD, LIFT: LIFT_EMOTION_TO_MOOD}


def check_mapping(mapping):
    """Raise ValueError unless `mapping` gives every emotion one of MOODS."""
    if set(mapping) != set(EMOTIONS):
        raise ValueError("every emotion in faces.emotions.EMOTIONS needs a mood")
    if not set(mapping.values()) <= set(MOODS):
        raise ValueError("moods must be music.moods.MOODS")


for _mapping in MAPPINGS.values():
    check_mapping(_mapping)  # at import: a wrong mapping stops the site


def mood_for(emotion, direction=MATCH):
    return MAPPINGS[direction][emotion]


def direction_or_default(value):
    """A direction from a URL, a form or a session: MATCH unless it is a known one."""
    return value if value in DIRECTIONS else MATCH
