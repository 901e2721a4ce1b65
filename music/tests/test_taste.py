"""music.taste: the listener's profile, and songs of their taste first."""

from types import SimpleNamespace

import pytest

from moodsite.testing import listener_profile
from music import taste


def song(artists="", genre=""):
    return SimpleNamespace(artists=artists, genre=genre)


PROFILE = listener_profile()


def test_the_profile_keeps_artists_genres_and_tracks_once_in_order():
    assert PROFILE == {
        "artist_names": [
            "tyler, the creator",
            "björk",
            "röyksopp",
            "artist 1",
            "somebody else",
        ],
        "genres": ["hip hop", "rap", "art pop", "icelandic pop"],
        "track_ids": ["t1", "t2"],
    }


def test_an_empty_profile_is_empty():
    assert taste.is_empty(taste.build_profile([], []))
    assert taste.is_empty(None)
    assert not taste.is_empty(PROFILE)


@pytest.mark.parametrize(
    "artists, genre, rank",
    [
        ("Tyler, The Creator", "", taste.BY_ARTIST),
        ("Frank Ocean, Tyler, The Creator", "", taste.BY_ARTIST),
        ("BJÖRK", "", taste.BY_ARTIST),
        ("Somebody Else, Guest", "", taste.BY_ARTIST),
        ("Artist 1", "", taste.BY_ARTIST),
        ("Artist 12", "", None),  # not "Artist 1"
        ("The Creator", "", None),  # not a whole name
        ("Nobody", "rap", taste.BY_GENRE),
        ("Nobody", "Art Pop", taste.BY_GENRE),
        ("Nobody", "pop", taste.BY_GENRE_FAMILY),
        ("Nobody", "dance pop", taste.BY_GENRE_FAMILY),
        ("Nobody", "rock", None),
        ("Nobody", "", None),
    ],
)
def test_taste_rank(artists, genre, rank):
    assert taste.taste_rank(song(artists, genre), PROFILE) == rank


def test_matches_come_first_best_first_and_others_keep_their_order():
    songs = [
        song("Nobody", "rock"),
        song("Nobody", "pop"),
        song("Nobody", "rap"),
        song("Björk"),
        song("Someone"),
        song("Röyksopp", "rock"),
    ]
    ordered = taste.put_taste_first(songs, PROFILE)
    assert ordered == [songs[3], songs[5], songs[2], songs[1], songs[0], songs[4]]
    assert taste.order_by_taste(songs, PROFILE) == ordered[:4]


def test_without_genres_only_artists_count():
    profile = taste.build_profile([{"name": "Björk", "genres": []}], [])
    assert taste.taste_rank(song("Nobody", "pop"), profile) is None
    assert taste.taste_rank(song("Björk", "pop"), profile) == taste.BY_ARTIST


def test_the_cache_key_follows_the_profile():
    other = taste.build_profile([{"id": "a9", "name": "Somebody"}], [])
    assert taste.profile_key(PROFILE) == taste.profile_key(
        dict(reversed(PROFILE.items()))
    )
    assert taste.profile_key(PROFILE) != taste.profile_key(other)
