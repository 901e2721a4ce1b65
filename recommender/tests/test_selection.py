import random

from recommender.selection import next_songs


def test_empty_pool_says_so(db):
    page = next_songs("calm", [], 6)
    assert page.pool_empty and page.songs == []


def test_only_songs_of_the_mood_are_chosen(make_songs):
    calm = make_songs("calm", 5)
    make_songs("sad", 5)
    page = next_songs("calm", [], 10)
    assert {s.pk for s in page.songs} == {s.pk for s in calm}
    assert page.pool_size == 5


def test_override_wins_and_excluded_or_featureless_songs_never_come(make_songs):
    overridden = make_songs("sad", 1, mood_override="calm")[0]
    moved_away = make_songs("calm", 1, mood_override="happy")[0]
    excluded = make_songs("calm", 1, excluded=True)[0]
    featureless = make_songs("calm", 1, tempo=None)[0]
    plain = make_songs("calm", 1)[0]
    chosen = {s.pk for s in next_songs("calm", [], 10).songs}
    assert chosen == {overridden.pk, plain.pk}
    assert not chosen & {moved_away.pk, excluded.pk, featureless.pk}


def test_no_repeats_until_the_pool_is_used_up_then_start_over(make_songs):
    pool = {s.pk for s in make_songs("happy", 14)}
    seen, rng = [], random.Random(3)
    for _ in range(3):  # 6 + 6 + 2 songs
        page = next_songs("happy", seen, 6, rng=rng)
        assert not page.started_over
        assert not set(seen) & {s.pk for s in page.songs}
        seen += [s.pk for s in page.songs]
    assert sorted(seen) == sorted(pool)
    page = next_songs("happy", seen, 6, rng=rng)
    assert page.started_over and len(page.songs) == 6


def test_songs_come_best_ranked_first(make_songs):
    make_songs("energetic", 6)
    page = next_songs("energetic", [], 6)
    scores = [s.mood_score for s in page.songs]
    assert scores == sorted(scores, reverse=True)
