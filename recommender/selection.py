"""Choosing the next songs of a mood for one visit, without repeats."""

import random
from dataclasses import dataclass, field

from music.models import Song
from recommender import taste

# Draw each page from the best-ranked unseen songs, this many times the page
# size: visitors get variety while the model's most typical songs come first.
CANDIDATE_FACTOR = 8
# How many of the best-ranked possible taste matches are checked per page.
TASTE_WINDOW = 400


@dataclass
class SongPage:
    mood: str
    songs: list = field(default_factory=list)
    pool_size: int = 0
    started_over: bool = False

    @property
    def pool_empty(self):
        return self.pool_size == 0


def next_songs(mood, seen_ids, count, rng=random, prefer=None):
    """The next `count` songs of `mood` not in `seen_ids`, best-ranked first.

    When every song of the mood has been seen, the visit starts over (and the
    page says so). Returns the page; the caller records the new ids as seen.
    `prefer`, a connected listener's taste profile (recommender.taste), puts
    unseen songs that match it first.
    """
    pool = Song.objects.recommendable().in_mood(mood)
    pool_size = pool.count()
    page = SongPage(mood=mood, pool_size=pool_size)
    if not pool_size:
        return page
    unseen = pool.exclude(pk__in=seen_ids)
    favourites = _taste_matches(unseen, prefer, count) if prefer else []
    unseen = unseen.exclude(pk__in=[song.pk for song in favourites])
    candidates = _best_ranked(unseen, count)
    if not candidates and not favourites:
        page.started_over = True
        candidates = _best_ranked(pool, count)
    chosen = rng.sample(candidates, min(count - len(favourites), len(candidates)))
    page.songs = favourites + sorted(chosen, key=_rank_key)
    return page


def _taste_matches(queryset, profile, count):
    possible = queryset.filter(taste.candidate_filter(profile))
    possible = possible.order_by("-mood_score", "-mood_confidence", "pk")
    return taste.order_by_taste(possible[:TASTE_WINDOW], profile)[:count]


def _best_ranked(queryset, count):
    ordered = queryset.order_by("-mood_score", "-mood_confidence", "pk")
    return list(ordered[: count * CANDIDATE_FACTOR])


def _rank_key(song):
    return (-(song.mood_score or 0.0), -(song.mood_confidence or 0.0), song.pk)
