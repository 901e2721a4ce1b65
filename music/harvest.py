"""Harvest songs from Spotify into the pool, resumably.

A HarvestRun names its sources (searches and playlists) and a cursor
{"source": i, "offset": n}. Each page of tracks is stored in the same
transaction that moves the cursor past it, so a killed harvest loses no stored
track and `--resume` never skips or repeats a page's work; songs are upserted
by spotify_id, so repeating a page creates no duplicates either.
"""

import logging
import sys
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from spotipy import SpotifyException
from spotipy.oauth2 import SpotifyOauthError
from tqdm import tqdm

from music import spotify
from music.models import HarvestRun, Song

logger = logging.getLogger(__name__)

SEARCH, PLAYLIST = "search", "playlist"
TRANSIENT_ERRORS = (
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
)


class RateLimited(Exception):
    def __init__(self, retry_after, repeated=False):
        super().__init__(f"Spotify asks to wait {retry_after} s")
        self.retry_after = retry_after
        self.repeated = repeated  # short waits, but too many in a row


class SourceFailed(Exception):
    """A request kept failing (5xx, timeouts) or was refused (4xx)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class Harvester:
    """Runs one HarvestRun from its cursor to the end of its sources."""

    search_page_size = spotify.SEARCH_PAGE_MAX
    playlist_page_size = spotify.PLAYLIST_PAGE_MAX
    max_retries = 3  # per request, for 5xx and timeouts
    backoff_base = 0.5  # seconds; doubles each retry
    max_rate_limit_waits = 5  # short 429 waits in a row before giving up

    def __init__(
        self,
        run,
        client,
        *,
        max_retry_after=None,
        sleep=time.sleep,
        progress=False,
        warn=None,
        classify=None,
    ):
        self.run = run
        self.client = client
        self.max_retry_after = (
            settings.SPOTIFY_MAX_RETRY_AFTER
            if max_retry_after is None
            else max_retry_after
        )
        self.sleep = sleep
        self.progress = progress
        self.warn_callback = warn
        self.classify = classify
        self.warnings = []
        self.features_api_available = True
        self.playlist_endpoint = None
        self.touched_with_features = set()
        self.source_label = "spotify"
        self.errors_before = len(run.errors)

    # Runs ----------------------------------------------------------------

    @staticmethod
    def create_run(searches=(), playlists=(), limit=None):
        sources = [[SEARCH, query] for query in searches]
        sources += [[PLAYLIST, spotify.parse_playlist_id(p)] for p in playlists]
        if not sources:
            raise ValueError("Name at least one source: --search or --playlist.")
        return HarvestRun.objects.create(
            sources=sources, limit=limit, cursor={"source": 0, "offset": 0}
        )

    @staticmethod
    def run_to_resume(run_id=None):
        """The run to continue: RUN_ID, or the latest one not finished."""
        if run_id is None:
            run = HarvestRun.objects.exclude(state=HarvestRun.FINISHED).first()
            if run is None:
                raise LookupError("No unfinished harvest to resume.")
            return run
        run = HarvestRun.objects.filter(pk=run_id).first()
        if run is None:
            raise LookupError(f"No harvest #{run_id}.")
        if run.state == HarvestRun.FINISHED:
            raise LookupError(f"Harvest #{run_id} already finished; nothing to resume.")
        return run

    def harvest(self):
        """Harvest from the cursor on; returns the run in its final state."""
        self.errors_before = len(self.run.errors)
        self.set_state(HarvestRun.RUNNING)
        try:
            with self.progress_bar() as bar:
                while self.run.cursor.get("source", 0) < len(self.run.sources):
                    self.harvest_source(bar)
        except RateLimited as exc:
            self.finish(HarvestRun.RATE_LIMITED, self.rate_limit_message(exc))
        except SpotifyOauthError as exc:
            self.finish(HarvestRun.FAILED, f"Spotify refused the credentials: {exc}")
        except KeyboardInterrupt:
            self.finish(HarvestRun.INTERRUPTED, "Interrupted.")
        except Exception as exc:
            self.finish(HarvestRun.FAILED, f"Stopped by {type(exc).__name__}: {exc}")
            raise
        else:
            self.finish(HarvestRun.FINISHED)
        return self.run

    def rate_limit_message(self, exc):
        until = timezone.now() + timedelta(seconds=exc.retry_after)
        why = (
            f"{self.max_rate_limit_waits + 1} times in a row"
            if exc.repeated
            else f"more than SPOTIFY_MAX_RETRY_AFTER={self.max_retry_after}"
        )
        return (
            f"Rate limited: Spotify asks to wait {exc.retry_after} s ({why}); "
            f"resume after {until:%Y-%m-%d %H:%M} UTC: "
            f"manage.py harvest_songs --resume {self.run.pk}"
        )

    def harvest_source(self, bar):
        index = self.run.cursor["source"]
        offset = self.run.cursor.get("offset", 0)
        kind, value = self.run.sources[index]
        self.source_label = f"spotify {kind}: {value}"[:100]
        cap = self.source_cap(kind)
        try:
            while offset < cap:
                page = self.fetch_page(
                    kind, value, offset, min(self.page_size(kind), cap - offset)
                )
                next_offset = offset + len(page.tracks)
                done = (
                    not page.tracks
                    or not page.has_more
                    or next_offset >= cap
                    or (page.total is not None and next_offset >= page.total)
                )
                cursor = (
                    {"source": index + 1, "offset": 0}
                    if done
                    else {"source": index, "offset": next_offset}
                )
                self.store_page(page.tracks, cursor)
                bar.update(len(page.tracks))
                if done:
                    return
                offset = next_offset
            self.save_cursor({"source": index + 1, "offset": 0})
        except SourceFailed as exc:
            message = f"{kind} {value!r} at offset {offset}: {exc}"
            self.warn(f"Skipping the rest of {message}")
            self.record_error(message, cursor={"source": index + 1, "offset": 0})

    def source_cap(self, kind):
        # Search answers 400 past offset 1000: a search cannot read more.
        api_cap = spotify.SEARCH_OFFSET_MAX if kind == SEARCH else sys.maxsize
        return min(self.run.limit or api_cap, api_cap)

    def page_size(self, kind):
        return self.search_page_size if kind == SEARCH else self.playlist_page_size

    # Spotify calls -------------------------------------------------------

    def fetch_page(self, kind, value, offset, size):
        if kind == SEARCH:
            page = self.call(
                spotify.search_tracks, self.client, value, limit=size, offset=offset
            )
        else:
            page, self.playlist_endpoint = self.call(
                spotify.playlist_tracks,
                self.client,
                value,
                limit=size,
                offset=offset,
                endpoint=self.playlist_endpoint,
            )
        page.tracks = page.tracks[:size]
        return page

    def fetch_features(self, track_ids):
        """Audio features from Spotify for the ids, while this app may ask."""
        features = {}
        batch_size = spotify.AUDIO_FEATURES_BATCH_MAX
        for start in range(0, len(track_ids), batch_size):
            if not self.features_api_available:
                break
            batch = track_ids[start : start + batch_size]
            try:
                features.update(self.call(spotify.audio_features, self.client, batch))
            except SourceFailed as exc:
                if exc.status in (403, 404):
                    self.features_api_available = False
                    self.warn(
                        f"Spotify's audio-features endpoint refused this app ({exc}); "
                        "apps registered since 2024-11-27 have no access. Using "
                        "features from imported catalogues for the rest of this run."
                    )
                else:
                    self.record_error(f"audio features for {len(batch)} tracks: {exc}")
        return features

    def call(self, func, *args, **kwargs):
        """func(...) with our retry policy.

        429: wait Retry-After when it is at most max_retry_after, else raise
        RateLimited. 5xx, timeouts, connection errors: up to max_retries
        retries with exponential backoff, then SourceFailed. Other 4xx:
        SourceFailed at once.
        """
        failures = rate_limit_waits = 0
        while True:
            try:
                return func(*args, **kwargs)
            except SpotifyException as exc:
                if exc.http_status == 429:
                    wait = spotify.retry_after_seconds(exc)
                    if wait > self.max_retry_after:
                        raise RateLimited(wait) from exc
                    if rate_limit_waits >= self.max_rate_limit_waits:
                        raise RateLimited(wait, repeated=True) from exc
                    rate_limit_waits += 1
                    self.warn(f"Rate limited: waiting {wait} s as Spotify asks.")
                    self.sleep(wait)
                    continue
                if exc.http_status < 500:
                    raise SourceFailed(describe(exc), exc.http_status) from exc
                error = exc
            except TRANSIENT_ERRORS as exc:
                error = exc
            failures += 1
            if failures > self.max_retries:
                raise SourceFailed(
                    f"{describe(error)} (gave up after {self.max_retries} retries)"
                ) from error
            self.sleep(self.backoff_base * 2 ** (failures - 1))

    # Storage -------------------------------------------------------------

    def store_page(self, tracks, cursor):
        """Upsert a page's tracks and move the cursor, in one transaction."""
        rows, skipped = {}, 0
        for track in tracks:
            fields = spotify.track_fields(track)
            if fields is None:
                skipped += 1
            else:
                rows.setdefault(fields["spotify_id"], fields)
        known = set(
            Song.objects.filter(
                spotify_id__in=list(rows), has_features=True
            ).values_list("spotify_id", flat=True)
        )
        # Ask only for what we lack: songs from imported catalogues keep theirs.
        features = self.fetch_features([i for i in rows if i not in known])
        with_features = set()
        with transaction.atomic():
            existing = {
                song.spotify_id: song
                for song in Song.objects.select_for_update().filter(
                    spotify_id__in=list(rows)
                )
            }
            for spotify_id, fields in rows.items():
                song, created, features_changed = self.upsert(
                    existing.get(spotify_id), fields, features.get(spotify_id)
                )
                if created:
                    self.run.new_count += 1
                else:
                    self.run.updated_count += 1
                if not song.has_features:
                    self.run.without_features_count += 1
                elif created or features_changed:
                    with_features.add(song.pk)
            self.run.skipped_count += skipped
            self.run.cursor = cursor
            self.run.save(update_fields=[*COUNT_FIELDS, "cursor", "updated"])
        self.touched_with_features |= with_features

    def upsert(self, song, fields, features):
        """(song, created, features_changed); never blanks features or curation."""
        features = {k: v for k, v in (features or {}).items() if v is not None}
        if song is None:
            song = Song(**fields, **features, source=self.source_label)
            song.save()
            return song, True, False
        changed = any(getattr(song, k) != v for k, v in features.items())
        for name, value in {**fields, **features}.items():
            setattr(song, name, value)
        update_fields = [*fields, *features, "has_features", "updated"]
        if changed:
            song.mood_model_version = ""  # the old prediction no longer holds
            update_fields.append("mood_model_version")
        song.save(update_fields=update_fields)
        return song, False, changed

    def save_cursor(self, cursor):
        self.run.cursor = cursor
        self.run.save(update_fields=["cursor", "updated"])

    def record_error(self, message, cursor=None):
        self.run.errors = [
            *self.run.errors,
            {"at": timezone.now().isoformat(), "message": message},
        ]
        fields = ["errors", "updated"]
        if cursor is not None:
            self.run.cursor = cursor
            fields.append("cursor")
        self.run.save(update_fields=fields)

    def set_state(self, state):
        self.run.state = state
        self.run.finished = None
        self.run.save(update_fields=["state", "finished", "updated"])

    def finish(self, state, message=None):
        # What was committed is the truth: a page cut short by an exception
        # may have moved the cursor and counts in memory only.
        self.run.refresh_from_db(fields=[*COUNT_FIELDS, "cursor", "errors"])
        if message and state != HarvestRun.FINISHED:
            self.record_error(message)
        self.run.state = state
        self.run.finished = timezone.now() if state == HarvestRun.FINISHED else None
        self.run.save(update_fields=["state", "finished", "updated"])

    # Reporting -----------------------------------------------------------

    def warn(self, message):
        self.warnings.append(message)
        # Lift the progress bar while the line is written, then redraw it.
        with tqdm.external_write_mode(file=sys.stderr):
            if self.warn_callback:
                self.warn_callback(message)
            else:
                logger.warning(message)

    @property
    def new_errors(self):
        """Errors recorded by this harvest (a resumed run keeps older ones)."""
        return self.run.errors[self.errors_before :]

    def progress_bar(self):
        caps = [self.source_cap(kind) for kind, _ in self.run.sources]
        total = sum(caps) if all(cap < sys.maxsize for cap in caps) else None
        index, offset = (
            self.run.cursor.get("source", 0),
            self.run.cursor.get("offset", 0),
        )
        done = sum(caps[:index]) + offset if total else 0
        return tqdm(
            total=total,
            initial=done,
            unit="track",
            desc=f"harvest #{self.run.pk}",
            disable=not self.progress,
            file=sys.stderr,
        )

    def classify_new_songs(self):
        """Classify the songs this harvest gave features; None when no model."""
        if not self.touched_with_features:
            return {}
        from music import mood

        # mood.py may not define it yet; `except ()` then catches nothing.
        model_missing = getattr(mood, "ModelNotAvailable", ())
        try:
            classify = self.classify
            if classify is None:
                from music.classification import classify_songs as classify
            return classify(Song.objects.filter(pk__in=self.touched_with_features))
        except ImportError:
            return None
        except model_missing:
            return None


COUNT_FIELDS = ("new_count", "updated_count", "without_features_count", "skipped_count")


def describe(exc):
    if isinstance(exc, SpotifyException):
        return f"HTTP {exc.http_status} from Spotify"
    if isinstance(exc, requests.exceptions.Timeout):
        return "Spotify did not answer in time"
    return f"could not reach Spotify ({type(exc).__name__})"
