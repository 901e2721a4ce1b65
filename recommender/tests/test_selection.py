import random
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommender import selection
from recommender.selection import BAND_SIZE, Place, next_songs


def walk(mood, pages, count, place):
    """The pages a visit gets, starting at `place`."""
    result = []
    for _ in range(pages):
        page = next_songs(mood, place, count, rng=random.Random(len(result)))
        result.append(page)
        place = page.next_place
    return result


def test_empty_pool_says_so(db):
    page = next_songs("calm", Place(seed=1), 6)
    assert page.pool_empty and page.songs == [] and not page.started_over


def test_only_songs_of_the_mood_are_chosen(make_songs):
    calm = make_songs("calm", 5)
    make_songs("sad", 5)
    page = next_songs("calm", Place(seed=1), 10)
    assert {s.pk for s in page.songs} == {s.pk for s in calm}


def test_override_wins_and_excluded_or_featureless_songs_never_come(make_songs):
    overridden = make_songs("sad", 1, mood_override="calm")[0]
    moved_away = make_songs("calm", 1, mood_override="happy")[0]
    excluded = make_songs("calm", 1, excluded=True)[0]
    featureless = make_songs("calm", 1, tempo=None)[0]
    plain = make_songs("calm", 1)[0]
    chosen = {s.pk for s in next_songs("calm", Place(seed=1), 10).songs}
    assert chosen == {overridden.pk, plain.pk}
    assert not chosen & {moved_away.pk, excluded.pk, featureless.pk}


def test_no_repeats_until_the_pool_is_used_up_then_start_over(make_songs):
    # Three bands, the last one partial, and a short last page (110 = 18*6 + 2).
    pool = {s.pk for s in make_songs("happy", 2 * BAND_SIZE + 14)}
    pages = walk("happy", 19, 6, Place(seed=7))
    seen = [s.pk for page in pages for s in page.songs]
    assert len(seen) == len(set(seen)) == len(pool) and set(seen) == pool
    assert [len(p.songs) for p in pages[-2:]] == [6, 2]
    assert not any(p.started_over for p in pages)
    again = next_songs("happy", pages[-1].next_place, 6, rng=random.Random(1))
    assert again.started_over and again.pool_size == len(pool)
    assert len(again.songs) == 6 and again.next_place.shown == 6


def test_best_ranked_songs_come_first_and_each_page_is_in_rank_order(
    make_songs, monkeypatch
):
    monkeypatch.setattr(
        selection, "MIN_START_BANDS", 1
    )  # every visit starts at the top
    songs = [make_songs("sad", 1, mood_score=n / 1000)[0] for n in range(200)]
    top_band = {s.pk for s in sorted(songs, key=lambda s: -s.mood_score)[:BAND_SIZE]}
    for seed in range(5):
        page = next_songs("sad", Place(seed=seed), 6)
        assert {s.pk for s in page.songs} <= top_band
        scores = [s.mood_score for s in page.songs]
        assert scores == sorted(scores, reverse=True)


def test_visits_differ_but_a_visit_is_repeatable(make_songs):
    make_songs("calm", 100)
    first_pages = {
        tuple(s.pk for s in next_songs("calm", Place(seed=seed), 6).songs)
        for seed in range(4)
    }
    assert len(first_pages) == 4
    place = Place(seed=11, shown=30)
    assert next_songs("calm", place, 6).songs == next_songs("calm", place, 6).songs


def test_unscored_songs_come_last(make_songs):
    unscored = make_songs("energetic", 3, mood_score=None)
    make_songs("energetic", 3, mood_score=0.1)
    page = next_songs("energetic", Place(seed=3), 6)
    assert [s.pk for s in page.songs[3:]] == sorted(s.pk for s in unscored)


def queries_for(place, mood="happy"):
    with CaptureQueriesContext(connection) as captured:
        next_songs(mood, place, 6)
    return [q["sql"] for q in captured.captured_queries]


def test_a_late_page_costs_what_the_first_page_costs(make_songs, settings, monkeypatch):
    """No list of seen songs: the queries of page 1 and page 40 are the same."""
    settings.SONG_POOL_CACHE_SECONDS = 0
    monkeypatch.setattr(selection, "CACHED_BANDS", 1)
    monkeypatch.setattr(selection, "MIN_START_BANDS", 1)  # bands in rank order
    make_songs("happy", 5 * BAND_SIZE)
    first = queries_for(Place(seed=5, shown=0))
    late = queries_for(Place(seed=5, shown=40 * 6 - 6))
    # The pool's size (where visits start), the band's ids, then the page's
    # songs: the same statements, but for the window's OFFSET and the chosen ids.
    assert len(first) == len(late) == 3
    assert late[0] == first[0] and "COUNT" in first[0]
    assert re.sub(r" OFFSET \d+", "", late[1]) == first[1]
    assert "OFFSET 192" in late[1] and "NOT IN" not in late[1].upper()
    assert re.sub(r"IN \([\d, ]+\)", "", late[2]) == re.sub(
        r"IN \([\d, ]+\)", "", first[2]
    )


def test_a_chunk_after_one_already_read_starts_from_its_last_song(
    make_songs, monkeypatch
):
    """Keyset paging: the same ids as OFFSET would give, ties and unscored
    songs included, without an OFFSET."""
    monkeypatch.setattr(selection, "CACHED_BANDS", 1)
    make_songs("happy", BAND_SIZE + 10, mood_score=0.5)  # one score, a tie
    make_songs("happy", BAND_SIZE, mood_score=0.5, mood_confidence=0.3)
    make_songs("happy", 30, mood_score=None)  # a curator's mood, not scored yet
    make_songs("happy", 40)
    expected = list(selection.ranked_pool("happy").values_list("pk", flat=True))
    read = []
    with CaptureQueriesContext(connection) as captured:
        for chunk in range(5):
            read += selection._read_chunk("happy", chunk)
    assert read == expected
    assert not any("OFFSET" in q["sql"] for q in captured.captured_queries)


def test_pages_of_cached_bands_only_read_their_songs(make_songs):
    make_songs("happy", 3 * BAND_SIZE)
    assert len(queries_for(Place(seed=1))) == 3  # counts and ranks the pool once
    for shown in (0, 6, 60, 120):
        assert len(queries_for(Place(seed=2, shown=shown))) == 1


def test_a_song_excluded_after_its_band_was_cached_is_not_shown(make_songs):
    songs = make_songs("calm", 6)
    first = next_songs("calm", Place(seed=2), 6)
    assert len(first.songs) == 6
    songs[0].excluded = True
    songs[0].save()
    again = next_songs("calm", Place(seed=2), 6)
    assert {s.pk for s in again.songs} == {s.pk for s in songs[1:]}
    assert again.next_place.shown == 6  # past the excluded song: no repeats next


def test_without_the_cache_a_new_song_shows_at_once(make_songs, settings):
    settings.SONG_POOL_CACHE_SECONDS = 0
    assert next_songs("sad", Place(seed=2), 6).pool_empty
    make_songs("sad", 1)
    assert len(next_songs("sad", Place(seed=2), 6).songs) == 1


def test_visits_start_at_different_well_ranked_bands_and_walk_them_all(
    make_songs, monkeypatch
):
    # Four bands, every one "well ranked" here, so visits may start in any.
    monkeypatch.setattr(selection, "TOP_SHARE", 1.0)
    songs = [
        make_songs("calm", 1, mood_score=n / 1000)[0] for n in range(4 * BAND_SIZE)
    ]
    ranked = [s.pk for s in sorted(songs, key=lambda s: -s.mood_score)]
    bands = [set(ranked[b * BAND_SIZE : (b + 1) * BAND_SIZE]) for b in range(4)]
    starts = []
    for seed in range(120):
        first = {s.pk for s in next_songs("calm", Place(seed=seed), 6).songs}
        starts.append(next(b for b, band in enumerate(bands) if first <= band))
    assert set(starts) == {0, 1, 2, 3}
    # Better-ranked bands are likelier starts (weights 8:7:6:5).
    assert starts.count(0) > starts.count(3)
    pages = walk("calm", 4 * BAND_SIZE // 6, 6, Place(seed=3))
    seen = [s.pk for page in pages for s in page.songs]
    assert len(seen) == len(set(seen)) == len(ranked)


def test_only_the_top_share_of_a_pool_is_where_visits_start():
    assert selection.top_bands(0) == 1
    assert selection.top_bands(3 * BAND_SIZE) == 3  # a small pool: all of it
    assert selection.top_bands(3 * BAND_SIZE + 20) == 3  # full bands only
    assert selection.top_bands(423) == selection.MIN_START_BANDS
    assert selection.top_bands(100 * BAND_SIZE) == 10  # TOP_SHARE of it
    assert selection.top_bands(14_055) == selection.TOP_BANDS
    assert selection.start_weights(3) == [6, 5, 4]
    assert [selection.band_at(step, 2, 3) for step in range(5)] == [2, 0, 1, 3, 4]
    assert selection.first_band(7, 5) == selection.first_band(7, 5)


def test_a_keys_place_is_the_same_every_time_and_differs_between_keys():
    assert Place.for_key("reading:1:match") == Place.for_key("reading:1:match")
    assert Place.for_key("reading:1:match") != Place.for_key("reading:1:lift")
    assert Place.for_key("x").shown == 0
