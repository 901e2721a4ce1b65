"""Paging through the songs of a mood for one visit: best first, varied, no repeats.

A visit's place in a mood is a few numbers (a `Place`): a random seed and how
many songs it has been shown. The mood's ranked list is cut into bands of BAND_SIZE
songs. The well-ranked top of the pool (TOP_SHARE of it, at most TOP_BANDS
bands) is walked first, starting at a band the seed draws (better-ranked bands
more likely) and going round; then the rest of the bands in order; each band in
an order shuffled by the seed. So the best-ranked songs come first, two fresh
visits start with different songs, and no song repeats until the pool is used
up. A reading's first page has a seed of its own (`Place.for_key`), so its
result URL shows the same songs each time it is opened. A page reads one band's ids (an
OFFSET/LIMIT window of the ranking, cached per process since every visit walks
the same bands) and then its few songs by id: no list of seen songs, no NOT IN,
and the same cost on page 1 as on page 2000. A connected listener's taste
matches come first, counted separately, and the walk passes over them.
"""

import hashlib
import math
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from music import taste
from music.models import RANK_CONFIDENCE, RANK_SCORE, RANKING, Song, rank_key
from music.paging import SONGS_PER_VISIT

# Each page draws from a band of this many best-ranked songs: enough for variety
# between visits, few enough that the model's most typical songs come first.
BAND_SIZE = SONGS_PER_VISIT
# Visits start somewhere in the top TOP_SHARE of a mood's pool (whole bands, at
# least MIN_START_BANDS where the pool has them, at most TOP_BANDS): near enough
# the top that what is served is still the model's best-scored songs, wide
# enough that two visitors' first songs differ; benchmarks/visit_variety.py
# measures both. MIN_START_BANDS is for small pools (423 calm songs in the
# catalogue): five bands weighted 10:9:8:7:6 keep two visits' expected overlap
# under a quarter (the sum of the squared start chances: 330/1600, 21%).
TOP_SHARE = 0.1
MIN_START_BANDS = 5
TOP_BANDS = 16
# How many bands one read of the ranking fetches (and the cache keeps together).
CACHED_BANDS = 16
# Where each chunk ends is kept this long: a stale end only shifts the next
# chunk a little, and it saves an OFFSET read of everything before it.
CHUNK_END_SECONDS = 24 * 3600
# A connected listener's matches are looked for among this many best-ranked
# possible matches (music.taste): a page's worth of favourites is enough.
TASTE_WINDOW = 400


@dataclass(frozen=True)
class Place:
    """Where a visit is in one mood's pool: its shuffle and how far it got.

    `shown` counts positions of the shuffled walk; `liked` counts the songs
    shown first because they match the listener's taste (music.taste).
    """

    seed: int
    shown: int = 0
    liked: int = 0

    @classmethod
    def start(cls, rng=random):
        return cls(seed=rng.getrandbits(32))

    @classmethod
    def for_key(cls, key):
        """A fresh place whose seed follows from `key` (a reading and its
        choice): the same key always gets the same first songs."""
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        return cls(seed=int.from_bytes(digest[:4], "big"))


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


def next_songs(mood, place, count, rng=random, prefer=None, exclude=()):
    """The next `count` songs of `mood` for a visit at `place`, best-ranked first.

    `prefer`, a connected listener's taste profile, puts the songs that match
    it first (each once per round of the pool); `exclude` is song ids to leave
    out (the API's clients keep their own list of what they were shown).
    When the visit has seen the whole pool it starts over with a new shuffle
    (`started_over`, and `pool_size` says how many songs it had seen). The page
    may be short at the end of the pool. Returns a SongPage whose `next_place`
    the caller keeps for the next page.
    """
    page = SongPage(mood=mood)
    matches = _taste_match_ids(mood, prefer)
    liked, ids, walked = _page_at(mood, place, count, matches, set(exclude))
    if not (liked or ids):
        if place == Place(place.seed) and not exclude:
            page.pool_size = 0
            page.next_place = place
            return page
        # Seen (or excluded) it all: round again, this time over everything.
        page.started_over = True
        page.pool_size = pool_size(mood)
        place = Place.start(rng)
        liked, ids, walked = _page_at(mood, place, count, matches, set())
    page.songs = _songs_in_page_order(mood, liked, ids)
    page.next_place = _after(place, liked, walked)
    return page


def pool_size(mood):
    """How many songs `mood` has, as of the cached ranking (a COUNT at most
    once per SONG_POOL_CACHE_SECONDS)."""
    key = f"recommender:pool-size:{mood}"
    count = ranked_pool(mood).order_by().count
    return cache.get_or_set(key, count, settings.SONG_POOL_CACHE_SECONDS)


def songs_shown(mood, place, count, prefer=None, limit=None):
    """The songs a visit at `place` was shown for `mood` in this round of the
    pool, page by page as next_songs gave them (`count` a page), as the pool
    is now; the last `limit` of them when given."""
    matches = _taste_match_ids(mood, prefer)
    pages = []
    at = Place(place.seed)
    while (at.shown, at.liked) < (place.shown, place.liked):
        liked, ids, walked = _page_at(mood, at, count, matches, set())
        if not (liked or ids):
            break  # the pool shrank since
        pages.append((liked, ids))
        at = _after(at, liked, walked)
    every_id = [pk for liked, ids in pages for pk in liked + ids]
    by_id = {song.pk: song for song in Song.objects.still_in_pool(every_id, mood)}
    shown = []
    for liked, ids in pages:
        shown += _in_page_order(by_id, liked, ids)
    return shown[-limit:] if limit else shown


def _page_at(mood, place, count, matches, exclude):
    """One page at `place`: (ids of taste matches, ids from the walk, positions
    walked), from `matches`, the ids of the listener's matches."""
    matches = [pk for pk in matches if pk not in exclude]
    liked = matches[place.liked : place.liked + count]
    if len(liked) == count:
        return liked, [], 0
    skip = exclude | set(matches)
    ids, walked = _walk(mood, place, count - len(liked), skip)
    return liked, ids, walked


def _after(place, liked, walked):
    return Place(place.seed, place.shown + walked, place.liked + len(liked))


def _songs_in_page_order(mood, liked, ids):
    """The page's songs: taste matches in taste order, then the walk's by rank.

    From the pool again: a song excluded or moved since its ids were cached
    drops out rather than being shown.
    """
    if not (liked or ids):
        return []
    by_id = {song.pk: song for song in Song.objects.still_in_pool(liked + ids, mood)}
    return _in_page_order(by_id, liked, ids)


def _in_page_order(by_id, liked, ids):
    matches = [by_id[pk] for pk in liked if pk in by_id]
    return matches + sorted((by_id[pk] for pk in ids if pk in by_id), key=_rank_key)


def _walk(mood, place, count, skip):
    """Up to `count` song ids from position place.shown of the visit's walk,
    leaving out `skip`; and how many positions they took (skipped ids and
    the end of a band still move the walk on)."""
    chosen = []
    position = place.shown
    top = top_bands(pool_size(mood))
    first = first_band(place.seed, top)
    while len(chosen) < count:
        step, offset = divmod(position, BAND_SIZE)
        band = band_at(step, first, top)
        band_ids = _band_ids(mood, band)
        order = _band_order(place.seed, band, len(band_ids))
        window = order[offset : offset + count - len(chosen)]
        if not window:
            break
        chosen += [band_ids[i] for i in window if band_ids[i] not in skip]
        position += len(window)
    return chosen, position - place.shown


def top_bands(size):
    """How many bands of a pool of `size` songs visits may start in: full ones
    only, so that a first page is never cut short by the pool's end."""
    bands = size // BAND_SIZE
    share = math.ceil(size * TOP_SHARE / BAND_SIZE)
    return max(1, min(bands, max(MIN_START_BANDS, share), TOP_BANDS))


def start_weights(top):
    """How likely a visit starts at each of the `top` bands: by rank, the best
    band twice as likely as the last (steeper would make two visits start
    alike more often: the chance is the sum of the squared shares)."""
    return [2 * top - band for band in range(top)]


def first_band(seed, top):
    """The band a visit with `seed` starts at, of the `top` ones."""
    rng = random.Random(f"{seed}:start")
    return rng.choices(range(top), weights=start_weights(top))[0]


def band_at(step, first, top):
    """The band a walk that starts at band `first` reads at its `step`-th band:
    round the top `top` bands from `first`, then the rest in rank order."""
    return (first + step) % top if step < top else step


def _taste_match_ids(mood, profile):
    """The ids of the mood's songs that match the listener's taste, best first.

    Finding them reads the artists of the whole mood (no index serves
    `icontains`: a sequential scan at a million songs), so the ids are cached
    per profile and mood for settings.SONG_POOL_CACHE_SECONDS, as the
    ranking's chunks are; a page fetches only its own songs, by id.
    """
    if taste.is_empty(profile):
        return []

    def find():
        possible = ranked_pool(mood).filter(taste.candidate_filter(profile))
        return [
            song.pk for song in taste.order_by_taste(possible[:TASTE_WINDOW], profile)
        ]

    key = f"recommender:taste:{mood}:{taste.profile_key(profile)}"
    return cache.get_or_set(key, find, settings.SONG_POOL_CACHE_SECONDS)


def _band_ids(mood, band):
    """The ids of one band of the mood's ranked pool.

    Ranking the pool is the one costly read, so it is read CACHED_BANDS bands
    (a chunk) at a time and cached in this process for
    settings.SONG_POOL_CACHE_SECONDS: every visit walks the same bands, so
    most pages rank nothing. A pool change shows within that time.
    """
    chunk, index = divmod(band, CACHED_BANDS)
    key = f"recommender:ranked:{mood}:{CACHED_BANDS}:{chunk}"
    ids = cache.get_or_set(
        key, lambda: _read_chunk(mood, chunk), settings.SONG_POOL_CACHE_SECONDS
    )
    return ids[index * BAND_SIZE : (index + 1) * BAND_SIZE]


def _read_chunk(mood, chunk):
    """One chunk of the ranking's ids; remembers where it ends (chunk_query)."""
    rows = list(chunk_query(mood, chunk))
    if rows:
        cache.set(_chunk_end_key(mood, chunk), rows[-1], CHUNK_END_SECONDS)
    return [pk for _, _, pk in rows]


def chunk_query(mood, chunk):
    """The query for one chunk of the ranking: (score, confidence, id) rows.

    Keyset paging: the chunk starts after the last song of the chunk before
    (remembered in the cache for CHUNK_END_SECONDS), so reading chunk 300 of a
    million songs costs what chunk 0 does. Without that song (a cold cache) the
    chunk is read by OFFSET, which walks the index up to it.
    """
    size = CACHED_BANDS * BAND_SIZE
    ranking = ranked_pool(mood).annotate(
        rank_score=RANK_SCORE, rank_confidence=RANK_CONFIDENCE
    )
    before = cache.get(_chunk_end_key(mood, chunk - 1)) if chunk else None
    if before:
        score, confidence, pk = before
        ranking = ranking.filter(
            Q(rank_score__lt=score)
            | Q(rank_score=score, rank_confidence__lt=confidence)
            | Q(rank_score=score, rank_confidence=confidence, pk__gt=pk),
            # Implied by the OR above, but a range the index can start from.
            rank_score__lte=score,
        )
        start = 0
    else:
        start = chunk * size
    rows = ranking.values_list("rank_score", "rank_confidence", "pk")
    return rows[start : start + size]


def _chunk_end_key(mood, chunk):
    return f"recommender:chunk-end:{mood}:{CACHED_BANDS * BAND_SIZE}:{chunk}"


def _band_order(seed, band, size):
    """The visit's own order of a band: the same for the same seed, band and size."""
    order = list(range(size))
    random.Random(f"{seed}:{band}").shuffle(order)
    return order


def _rank_key(song):
    """RANKING, in Python: to show a page's songs best first."""
    return rank_key(song.mood_score, song.mood_confidence, song.pk)
