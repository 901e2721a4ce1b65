import itertools
import string

import pytest

from music.models import Song

_counter = itertools.count()
BASE62 = string.digits + string.ascii_letters


def spotify_id(n):
    digits = []
    for _ in range(22):
        n, rest = divmod(n, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits))


@pytest.fixture
def make_songs(db):
    """make_songs(mood, n, **fields) -> songs with features and a predicted mood."""

    def make(mood, n, **fields):
        songs = []
        for _ in range(n):
            i = next(_counter)
            values = {
                "spotify_id": spotify_id(10_000 + i),
                "name": f"Song {i}",
                "artists": f"Artist {i}",
                "album": f"Album {i}",
                "predicted_mood": mood,
                "mood_confidence": 0.8,
                "mood_score": (i % 97) / 97,
                **{
                    f: 0.5
                    for f in (
                        "danceability",
                        "acousticness",
                        "energy",
                        "instrumentalness",
                        "liveness",
                        "valence",
                        "speechiness",
                    )
                },
                "loudness": -7.0,
                "tempo": 120.0,
            }
            values.update(fields)
            songs.append(Song.objects.create(**values))
        return songs

    return make
