"""How the site says each emotion and mood: the one place for these words."""

from faces.emotions import EMOTIONS
from recommender.mapping import DIRECTIONS, LIFT, MAPPINGS, MATCH

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

assert set(EMOTION_ADJECTIVES) == set(EMOTIONS), "every emotion needs its words"

# Why an emotion gets its mood, where the mood's name is not the emotion's own
# ("You look neutral" then "happy music" needs a reason). One per mapping.
_SOOTHE = {
    "angry": "Calm music, to soothe anger rather than feed it.",
    "disgust": "Calm music, to settle disgust rather than feed it.",
    "fear": "Calm music, to settle nerves rather than feed them.",
    "surprise": "Energetic music goes with surprise.",
}
WHY = {
    MATCH: _SOOTHE
    | {"neutral": "Neutral gets happy music when the music matches the mood."},
    LIFT: _SOOTHE
    | {
        "sad": "Happy music, to lift a sad mood.",
        "neutral": "Energetic music, to lift a neutral mood.",
    },
}

for _direction in DIRECTIONS:
    assert {
        emotion
        for emotion, mood in MAPPINGS[_direction].items()
        if mood != EMOTION_ADJECTIVES[emotion]
    } == set(WHY[_direction]), "every emotion whose music differs needs a reason"

DIRECTION_LABELS = {MATCH: "Match my mood", LIFT: "Lift my mood"}


def adjective(emotion):
    """'fear' -> 'afraid': the word that follows "You look"."""
    return EMOTION_ADJECTIVES[emotion]


def emotion_choices():
    """(emotion, "Afraid") pairs in EMOTIONS order, for forms and admin tables."""
    return [(emotion, adjective(emotion).capitalize()) for emotion in EMOTIONS]


def why(emotion, direction=MATCH):
    """Why `emotion` gets the music it gets, or "" where the names say it."""
    return WHY[direction].get(emotion, "")


def with_article(word):
    """'energetic' -> 'an energetic', 'calm' -> 'a calm' (by the first letter's
    sound, which holds for the site's own words)."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def blend_note(face_count):
    """The group choice's note on how its faces' readings were put together."""
    if face_count == 2:
        return "Both faces' readings blended; the larger face counts more."
    return f"All {face_count} faces' readings blended; larger faces count more."


def headline_prefix(
    *, is_group, face_number, face_count, corrected, uncertain, own=True
):
    """The words before the emotion: "You look" [afraid].

    `own`: the visitor reading the page is the one who sent the photo (else it
    came by a shared link, and it is about them, not you); `face_number`: the
    face's number when one face of a group is chosen.
    """
    one_of_many = not is_group and face_count > 1
    if corrected:
        said = "You said" if own else "They said"
        if is_group:
            return f"{said} {'you' if own else 'they'} all feel"
        if one_of_many:
            return f"{said} face {face_number} feels"
        return f"{said} {'you' if own else 'they'} feel"
    if is_group:
        who = f"together {'you' if own else 'they'} look"
    elif one_of_many:
        who = f"face {face_number} looks"
    else:
        who = "you look" if own else "they look"
    if uncertain:
        return f"Hard to tell — {who} closest to"
    return who[0].upper() + who[1:]
