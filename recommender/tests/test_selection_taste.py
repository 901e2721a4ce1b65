"""recommender.selection with a listener's taste (music.taste): their songs first."""

import random
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from moodsite.testing import listener_profile, make_song
from recommender.selection import Place, next_songs, songs_shown

PROFILE = listener_profile()


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
    page = next_songs("happy", Place(seed=0), 4, prefer=PROFILE)
    assert page.songs[:3] == [pool.by_artist[1], pool.by_artist[0], pool.by_genre]
    assert page.songs[3] in pool.others
    assert page.next_place.liked == 3


def test_next_songs_without_a_profile_is_unchanged(pool):
    page = next_songs("happy", Place(seed=0), 3)
    same = next_songs("happy", Place(seed=0), 3, prefer=None)
    assert page.songs == same.songs
    scores = [song.mood_score for song in page.songs]
    assert scores == sorted(scores, reverse=True)  # by mood rank, not by taste


def test_a_visit_gets_each_match_once_and_then_the_others(pool):
    pages = walk("happy", Place(seed=0), 3, 3, prefer=PROFILE)
    assert pages[0].songs == [pool.by_artist[1], pool.by_artist[0], pool.by_genre]
    rest = [s.pk for page in pages[1:] for s in page.songs]
    assert sorted(rest) == sorted(s.pk for s in pool.others)
    assert not any(page.started_over for page in pages)


def test_after_the_whole_pool_the_matches_come_first_again(pool):
    last = walk("happy", Place(seed=0), 3, 3, prefer=PROFILE)[-1]
    again = next_songs("happy", last.next_place, 3, prefer=PROFILE)
    assert again.started_over
    assert again.songs == [pool.by_artist[1], pool.by_artist[0], pool.by_genre]


def test_songs_shown_lists_the_matches_then_the_walk(pool):
    pages = walk("happy", Place(seed=0), 2, 3, prefer=PROFILE)
    shown = songs_shown("happy", pages[-1].next_place, 3, prefer=PROFILE)
    assert shown == [song for page in pages for song in page.songs]
    last_two = songs_shown("happy", pages[-1].next_place, 3, prefer=PROFILE, limit=2)
    assert last_two == shown[-2:]


def test_the_matches_are_looked_up_once_then_each_page_reads_its_songs(pool):
    """The artists' `LIKE` scan (a sequential scan at a million songs) runs on
    the first page only; later pages fetch their songs by id."""

    def page_queries(place):
        with CaptureQueriesContext(connection) as captured:
            page = next_songs("happy", place, 2, prefer=PROFILE)
        return page, [q["sql"] for q in captured.captured_queries]

    first, queries = page_queries(Place(seed=0))
    assert sum("LIKE" in sql for sql in queries) == 1
    second, queries = page_queries(first.next_place)
    assert second.songs[0] == pool.by_genre
    assert not any("LIKE" in sql for sql in queries)
    _, queries = page_queries(second.next_place)
    assert len(queries) == 1  # only its songs by id: the ranking is cached too


def test_a_match_excluded_after_the_lookup_is_not_shown(pool):
    next_songs("happy", Place(seed=0), 2, prefer=PROFILE)  # looks them up
    pool.by_artist[0].excluded = True
    pool.by_artist[0].save()
    page = next_songs("happy", Place(seed=0), 3, prefer=PROFILE)
    assert page.songs[:2] == [pool.by_artist[1], pool.by_genre]
    assert pool.by_artist[0] not in page.songs


def walk(mood, place, pages, count, prefer=None):
    result = []
    for n in range(pages):
        page = next_songs(mood, place, count, rng=random.Random(n), prefer=prefer)
        result.append(page)
        place = page.next_place
    return result
