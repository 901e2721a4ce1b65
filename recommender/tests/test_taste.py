"""recommender.taste: the listener's profile, and songs of their taste first."""

import random
from types import SimpleNamespace

import pytest

from moodsite.testing import make_song
from recommender import taste
from recommender.selection import next_songs


def song(artists="", genre=""):
    return SimpleNamespace(artists=artists, genre=genre)


PROFILE = taste.build_profile(
    [
        {"id": "a1", "name": "Tyler, The Creator", "genres": ["hip hop", "rap"]},
        {"id": "a2", "name": "Björk", "genres": ["art pop", "icelandic pop"]},
        {"id": "a3", "name": "Röyksopp", "genres": []},
    ],
    [
        {"id": "t1", "artists": [{"name": "Artist 1"}, {"name": "Björk"}]},
        {"id": "t2", "artists": [{"name": "  Somebody   Else "}]},
        {"id": "t1", "artists": []},
    ],
)


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


# In selection ---------------------------------------------------------------------


@pytest.fixture
def pool(db):
    """Eight happy songs: two by their artists, one of their genre, and others
    ranked above all of them."""
    others = [
        make_song(artists=f"Other {n}", mood_score=0.9 + n / 100) for n in range(5)
    ]
    by_genre = make_song(artists="Nobody", genre="pop", mood_score=0.5)
    by_artist = [
        make_song(artists="Björk", mood_score=0.2),
        make_song(artists="Guest, Röyksopp", mood_score=0.3),
    ]
    make_song(artists="Björk", predicted_mood="sad")  # another mood
    return SimpleNamespace(others=others, by_genre=by_genre, by_artist=by_artist)


def test_next_songs_puts_the_listeners_songs_first(pool):
    page = next_songs("happy", [], 4, rng=random.Random(0), prefer=PROFILE)
    assert page.songs[:3] == [pool.by_artist[1], pool.by_artist[0], pool.by_genre]
    assert page.songs[3] in pool.others


def test_next_songs_without_a_profile_is_unchanged(pool):
    page = next_songs("happy", [], 3, rng=random.Random(0))
    same = next_songs("happy", [], 3, rng=random.Random(0), prefer=None)
    assert page.songs == same.songs
    scores = [song.mood_score for song in page.songs]
    assert scores == sorted(scores, reverse=True)  # by mood rank, not by taste


def test_matches_already_seen_are_not_repeated(pool):
    seen = [s.pk for s in pool.by_artist]
    page = next_songs("happy", seen, 3, rng=random.Random(0), prefer=PROFILE)
    assert page.songs[0] == pool.by_genre
    assert not set(seen) & {s.pk for s in page.songs}
    assert not page.started_over


def test_a_page_of_only_matches_does_not_start_over(pool):
    seen = [s.pk for s in pool.others]
    page = next_songs("happy", seen, 3, rng=random.Random(0), prefer=PROFILE)
    assert page.songs == [pool.by_artist[1], pool.by_artist[0], pool.by_genre]
    assert not page.started_over
    everything = seen + [s.pk for s in page.songs]
    again = next_songs("happy", everything, 3, rng=random.Random(0), prefer=PROFILE)
    assert again.started_over
