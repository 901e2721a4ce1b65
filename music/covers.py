"""Covers for songs that have none: Spotify's tracks endpoint, else oEmbed.

Catalogues such as spotify_songs.csv carry no cover URL. Two ways to get one:
- GET /v1/tracks?ids=... (up to 50 a call) with client credentials, where
  the app may still call it (development-mode rules have been narrowing
  since February 2026): the album's largest image;
- Spotify's oEmbed endpoint, GET open.spotify.com/oembed?url=<track URL>,
  which needs no credentials and answers one track at a time with
  `thumbnail_url`.
CoverFinder uses the first while it works and switches to oEmbed for good
at its first 401/403/404.
"""

import time

import requests
from django.conf import settings
from django.utils import timezone

from music import enrichment, spotify
from music.enrichment import REFUSED
from music.models import RANKING, Song
from music.retrying import RateLimited, RequestFailed, check
from music.services import upsert_songs


class OEmbedCovers:
    batch_size = 1

    def __init__(self, *, url=None, timeout=spotify.DEFAULT_TIMEOUT):
        self.url = url or settings.SPOTIFY_OEMBED_URL
        self.timeout = timeout
        self.session = requests.Session()

    def fetch(self, track_ids):
        (track_id,) = track_ids
        response = self.session.get(
            self.url,
            params={"url": f"https://open.spotify.com/track/{track_id}"},
            timeout=self.timeout,
        )
        if response.status_code == 404:  # no such track: no cover, not an error
            return {}
        url = spotify.fitting_url(
            check(response, "Spotify oEmbed").get("thumbnail_url")
        )
        return {track_id: url} if url else {}


class SpotifyTrackCovers:
    batch_size = spotify.TRACKS_BATCH_MAX

    def __init__(self, client):
        self.client = client

    def fetch(self, track_ids):
        return spotify.track_covers(self.client, track_ids)


class CoverFinder:
    """Covers by Spotify id, from Spotify's API while allowed, then oEmbed."""

    def __init__(
        self,
        policy,
        *,
        spotify_client=None,
        oembed=None,
        interval=0.0,
        sleep=time.sleep,
        warn=print,
    ):
        self.policy = policy
        self.sources = [SpotifyTrackCovers(spotify_client)] if spotify_client else []
        self.sources.append(oembed or OEmbedCovers())
        # Seconds left between requests: oEmbed is a public page, not an API
        # with a published quota, so a fill must not hammer it.
        self.interval = interval
        self.sleep = sleep
        self.requests = 0
        self.warn = warn

    @property
    def batch_size(self):
        return self.sources[0].batch_size

    def find(self, track_ids):
        """{id: url} for the ids; RequestFailed/RateLimited as the policy says."""
        source = self.sources[0]
        if len(track_ids) > source.batch_size:
            found = {}
            for start in range(0, len(track_ids), source.batch_size):
                found.update(self.find(track_ids[start : start + source.batch_size]))
            return found
        if self.requests and self.interval:
            self.sleep(self.interval)
        self.requests += 1
        try:
            return self.policy.call(source.fetch, track_ids)
        except RequestFailed as exc:
            if exc.status not in REFUSED or len(self.sources) == 1:
                raise
            self.sources.pop(0)
            self.warn(
                f"Spotify's tracks endpoint refused this app ({exc}); using oEmbed."
            )
            return self.find(track_ids)


def songs_needing_covers(*, retry_checked=False, only=None, best_first=False):
    """Songs without a cover; `best_first`: in the pools' ranking, so the songs
    visitors are shown first get theirs first."""
    songs = Song.objects.needing_cover(retry_checked=retry_checked)
    if only is not None:
        songs = songs.filter(spotify_id__in=list(only))
    return songs.order_by(*RANKING) if best_first else songs.order_by("pk")


def source_answers(track_id, *, timeout=3.0):
    """ "" when the cover source (oEmbed, which every fill can fall back to)
    answers for `track_id`, else why not: a quick look before a fill, so a
    machine offline skips it rather than retrying song after song."""
    try:
        OEmbedCovers(timeout=timeout).fetch([track_id])
    except (requests.RequestException, RequestFailed, RateLimited) as exc:
        return str(exc) or type(exc).__name__
    return ""


def fill_covers(finder, songs, *, limit=None, progress=None, every=50):
    """Find covers for `songs` (a queryset) batch by batch; resumable.

    Each batch is written before the next is asked for: covers found go
    through the upsert (which never blanks), and songs the source has no
    cover for get cover_checked_at so a rerun skips them. A batch that keeps
    failing is recorded and left unmarked, to be tried again next time; a
    rate limit stops the fill (outcome.stopped) and a rerun starts there.
    The finder throttles its own requests. `progress(done, total, outcome)`
    is called after every `every` songs and at the end.
    """
    return enrichment.fill(
        finder,
        list(songs.values_list("spotify_id", flat=True)[:limit]),
        store_covers,
        ask=finder.find,
        label="covers",
        refused=(),  # the finder falls back to oEmbed itself
        progress=progress,
        every=every,
    )


def store_covers(batch, covers):
    """Covers through the upsert (which never blanks); the songs the source
    has no cover for get cover_checked_at, so a rerun skips them."""
    upsert_songs({i: {"cover_url": u} for i, u in covers.items()}, source="")
    missing = [i for i in batch if i not in covers]
    Song.objects.filter(spotify_id__in=missing).update(cover_checked_at=timezone.now())
