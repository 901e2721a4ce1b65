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

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from spotipy.oauth2 import SpotifyOauthError
from tqdm import tqdm

from music import retrying, spotify
from music.enrichment import Outcome
from music.feature_providers import (
    fetch_batches,
    mark_features_checked,
)
from music.models import HarvestRun, Song
from music.retrying import RateLimited, RequestFailed, RetryPolicy
from music.services import upsert_songs

logger = logging.getLogger(__name__)

SEARCH, PLAYLIST = "search", "playlist"


class Harvester:
    """Runs one HarvestRun from its cursor to the end of its sources."""

    search_page_size = spotify.SEARCH_PAGE_MAX
    playlist_page_size = spotify.PLAYLIST_PAGE_MAX
    # music.retrying's defaults, as attributes the tests can shorten.
    max_retries = retrying.MAX_RETRIES
    backoff_base = retrying.BACKOFF_BASE
    max_rate_limit_waits = retrying.MAX_RATE_LIMIT_WAITS

    def __init__(
        self,
        run,
        client,
        *,
        max_retry_after=None,
        sleep=time.sleep,
        progress=False,
        warn=None,
        features=None,
    ):
        """`features`: a provider from music.feature_providers, or None."""
        self.run = run
        self.client = client
        self.features = features
        self.max_retry_after = (
            settings.SPOTIFY_MAX_RETRY_AFTER
            if max_retry_after is None
            else max_retry_after
        )
        self.sleep = sleep
        self.progress = progress
        self.warn_callback = warn
        self.warnings = []
        self.playlist_endpoint = None
        self.harvested_ids = set()
        self.source_label = "spotify"
        self.errors_before = len(run.errors)
        self.policy = RetryPolicy(
            max_retry_after=self.max_retry_after,
            sleep=sleep,
            warn=self.warn,
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            max_rate_limit_waits=self.max_rate_limit_waits,
        )

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
            f"Rate limited: asked to wait {exc.retry_after} s ({why}); "
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
        except RequestFailed as exc:
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
        """{id: features} from the provider, while it answers this app."""
        if self.features is None or not track_ids:
            return [], Outcome()
        outcome = Outcome()
        batches = list(fetch_batches(self.features, self.policy, track_ids, outcome))
        for error in outcome.errors:
            self.record_error(error)
        if outcome.refused:
            self.warn(
                f"{outcome.refused}; the rest of this run stores songs without "
                "features (fill_features can add them later)."
            )
            self.features = None
        return batches, outcome

    def call(self, func, *args, **kwargs):
        return self.policy.call(func, *args, **kwargs)

    # Storage -------------------------------------------------------------

    def store_page(self, tracks, cursor):
        """Upsert a page's tracks (with features) and move the cursor, in one
        transaction; the features are fetched first, outside it."""
        rows, skipped = {}, 0
        for track in tracks:
            fields = spotify.track_fields(track)
            if fields is None:
                skipped += 1
            else:
                rows.setdefault(fields.pop("spotify_id"), fields)
        known = set(
            Song.objects.filter(
                spotify_id__in=list(rows), has_features=True
            ).values_list("spotify_id", flat=True)
        )
        # Ask only for what we lack: songs from imported catalogues keep theirs.
        provider = self.features
        asked = [i for i in rows if i not in known]
        found = {}
        for _, features in self.fetch_features(asked)[0]:
            found.update(features)
        for spotify_id, features in found.items():
            rows[spotify_id] = {**rows[spotify_id], **features}
        with transaction.atomic():
            outcome = upsert_songs(
                rows,
                source=self.source_label,
                feature_source=getattr(provider, "name", ""),
            )
            if provider is not None:
                mark_features_checked([i for i in asked if i not in found])
            self.run.new_count += outcome.new
            self.run.updated_count += outcome.updated
            self.run.unchanged_count += outcome.unchanged
            self.run.without_features_count += outcome.without_features
            self.run.skipped_count += skipped
            self.run.cursor = cursor
            self.run.save(update_fields=[*COUNT_FIELDS, "cursor", "updated"])
        self.harvested_ids |= set(rows)

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


COUNT_FIELDS = (
    "new_count",
    "updated_count",
    "unchanged_count",
    "without_features_count",
    "skipped_count",
)
