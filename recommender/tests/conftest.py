"""Readings made directly (no photo, no model): faces with chosen probabilities."""

import pytest
from django.conf import settings

from faces.analysis import FaceResult
from faces.classifier import EMOTIONS
from recommender import services, visit


def probabilities(emotion, p):
    """`emotion` at p, the rest shared evenly by the other six."""
    rest = (1 - p) / (len(EMOTIONS) - 1)
    return {name: (p if name == emotion else rest) for name in EMOTIONS}


def face(emotion, p=0.8, box=(10, 10, 100, 100)):
    return FaceResult(box=box, probabilities=probabilities(emotion, p), emotion=emotion)


def signed_session_with_reading(session, reading):
    """The session cookie's value once `reading` is one this browser made."""
    visit.remember_own_reading(session, reading.pk)
    session.save()
    return session.session_key


@pytest.fixture
def make_reading(db):
    """make_reading(face(...), face(...), size=(640, 480)) -> a saved Reading."""

    def make(*faces, size=(640, 480)):
        return services.save_reading(faces=list(faces), image_size=size)

    return make


@pytest.fixture
def all_moods(make_songs):
    """Three songs in every mood."""
    from music.mood import MOODS

    return {mood: make_songs(mood, 3) for mood in MOODS}


def claim(client, reading):
    """The test client's visit sent `reading`'s photo (as the upload page says)."""
    key = signed_session_with_reading(client.session, reading)
    client.cookies[settings.SESSION_COOKIE_NAME] = key
