"""Paging through the songs of a mood for one visit: best first, varied, no repeats.

A visit's place in a mood is two numbers (a `Place`): a random seed and how many
songs it has been shown. The mood's ranked list is cut into bands of BAND_SIZE
songs; the visit walks the bands in order and each band in an order shuffled by
the seed. So the best-ranked songs come first, two visits see different songs,
and no song repeats until the pool is used up. A page reads one band's ids (an
OFFSET/LIMIT window of the ranking, cached per process since every visit walks
the same bands) and then its few songs by id: no list of seen songs, no NOT IN,
and the same cost on page 1 as on page 2000.
"""

import random
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from music.models import Song

# Each page draws from a band of this many best-ranked songs: enough for variety
# between visits, few enough that the model's most typical songs come first.
BAND_SIZE = 48
# How many bands one read of the ranking fetches (and the cache keeps together).
CACHED_BANDS = 16
# The ranking: the mood model's score, then its confidence, unscored songs last
# on every database; pk breaks ties so every window of the list is stable.
RANKING = (
    F("mood_score").desc(nulls_last=True),
    F("mood_confidence").desc(nulls_last=True),
    "pk",
)


@dataclass(frozen=True)
class Place:
    """Where a visit is in one mood's pool: its shuffle and how far it got."""

    seed: int
    shown: int = 0

    @classmethod
    def start(cls, rng=random):
        return cls(seed=rng.getrandbits(32))


@dataclass
class SongPage:
    mood: str
    songs: list = field(default_factory=list)
    # Known when the pool is empty or was used up (the page says how big it was).
    pool_size: int | None = None
    started_over: bool = False
    # Where the visit is after this page; the caller keeps it for the next one.
    next_place: Place | None = None

    @property
    def pool_empty(self):
        return self.pool_size == 0


def ranked_pool(mood):
    """The songs a visitor may get for `mood`, best first."""
    return Song.objects.recommendable().in_mood(mood).order_by(*RANKING)


def next_songs(mood, place, count, rng=random):
    """The next `count` songs of `mood` for a visit at `place`, best-ranked first.

    When the visit has seen the whole pool it starts over with a new shuffle
    (`started_over`, and `pool_size` says how many songs it had seen). The page
    may be short at the end of the pool. Returns a SongPage whose `next_place`
    the caller keeps for the next page.
    """
    page = SongPage(mood=mood)
    songs, walked = _songs_from(mood, place, count)
    if not walked:
        if place.shown == 0:
            page.pool_size = 0
            page.next_place = place
            return page
        page.started_over = True
        page.pool_size = ranked_pool(mood).count()
        place = Place.start(rng)
        songs, walked = _songs_from(mood, place, count)
    page.songs = sorted(songs, key=_rank_key)
    page.next_place = Place(place.seed, place.shown + walked)
    return page


def _songs_from(mood, place, count):
    """Up to `count` songs at positions place.shown... of the visit's walk.

    Returns them and how many positions they took (more than the songs when a
    cached id is no longer in the pool: the walk still moves past it).
    """
    chosen = []
    position = place.shown
    while len(chosen) < count:
        band, offset = divmod(position, BAND_SIZE)
        band_ids = _band_ids(mood, band)
        order = _band_order(place.seed, band, len(band_ids))
        taken = [band_ids[i] for i in order[offset : offset + count - len(chosen)]]
        if not taken:
            break
        chosen += taken
        position += len(taken)
    if not chosen:
        return [], 0
    # From the pool again: a song excluded or moved since its band was cached
    # drops out rather than being shown.
    songs = list(ranked_pool(mood).filter(pk__in=chosen).order_by())
    return songs, len(chosen)


def _band_ids(mood, band):
    """The ids of one band of the mood's ranked pool.

    Ranking the pool is the one costly read (it sorts every song of the mood),
    so it is read CACHED_BANDS bands at a time and cached in this process for
    settings.SONG_POOL_CACHE_SECONDS: every visit walks the same bands, so
    most pages rank nothing. A pool change shows within that time.
    """
    chunk, index = divmod(band, CACHED_BANDS)
    chunk_size = CACHED_BANDS * BAND_SIZE

    def read():
        ranked_ids = ranked_pool(mood).values_list("pk", flat=True)
        return list(ranked_ids[chunk * chunk_size : (chunk + 1) * chunk_size])

    key = f"recommender:ranked:{mood}:{chunk_size}:{chunk}"
    ids = cache.get_or_set(key, read, settings.SONG_POOL_CACHE_SECONDS)
    return ids[index * BAND_SIZE : (index + 1) * BAND_SIZE]


def _band_order(seed, band, size):
    """The visit's own order of a band: the same for the same seed, band and size."""
    order = list(range(size))
    random.Random(f"{seed}:{band}").shuffle(order)
    return order


def _rank_key(song):
    """RANKING, in Python: to show a page's songs best first."""
    score, confidence = song.mood_score, song.mood_confidence
    return (
        score is None,
        -(score or 0),
        confidence is None,
        -(confidence or 0),
        song.pk,
    )
