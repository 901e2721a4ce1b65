"""Where songs without audio features get them: the FEATURES_PROVIDER setting.

- "spotify": Spotify's audio-features endpoint. Apps registered since
  2024-11-27 get 403 there.
- "reccobeats": ReccoBeats' free, keyless API. GET {RECCOBEATS_API_URL}
  audio-features?ids=<Spotify ids, comma-separated, at most 40> answers
  {"content": [{"id": <ReccoBeats uuid>, "href":
  "https://open.spotify.com/track/<Spotify id>", "acousticness": ..., ...}]},
  leaving out the tracks it does not know. Its values come from its own
  analysis of the audio, not Spotify's (see `compare_features`).
- "none": no provider; songs get features only from imported catalogues.

A provider's fetch(ids) returns {spotify_id: {feature: value}} for the tracks
with every required feature, and raises the client's own errors (spotipy's
SpotifyException, music.retrying.ApiError, requests' errors) for
music.retrying.RetryPolicy to judge.
"""

from urllib.parse import urlparse

import requests
from django.conf import settings
from django.utils import timezone

from music import enrichment, spotify
from music.features import AUDIO_FEATURES, REQUIRED_FEATURES
from music.models import RECCOBEATS, SPOTIFY, Song
from music.retrying import check
from music.services import upsert_songs

NONE = "none"
PROVIDERS = (NONE, SPOTIFY, RECCOBEATS)
RECCOBEATS_BATCH_MAX = 40


def complete(values):
    return all(values.get(name) is not None for name in REQUIRED_FEATURES)


class SpotifyFeatures:
    name = SPOTIFY
    batch_size = spotify.AUDIO_FEATURES_BATCH_MAX

    def __init__(self, client):
        self.client = client

    def fetch(self, track_ids):
        return spotify.audio_features(self.client, track_ids)


class ReccoBeatsFeatures:
    name = RECCOBEATS
    batch_size = RECCOBEATS_BATCH_MAX

    def __init__(self, *, base_url=None, timeout=spotify.DEFAULT_TIMEOUT):
        self.url = (base_url or settings.RECCOBEATS_API_URL).rstrip("/") + "/"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"

    def fetch(self, track_ids):
        if len(track_ids) > self.batch_size:
            raise ValueError(f"at most {self.batch_size} ids per request")
        response = self.session.get(
            f"{self.url}audio-features",
            params={"ids": ",".join(track_ids)},
            timeout=self.timeout,
        )
        asked = set(track_ids)
        features = {}
        for row in check(response, "ReccoBeats").get("content") or []:
            spotify_id = spotify_id_of(row.get("href"))
            values = {name: row.get(name) for name in AUDIO_FEATURES if name in row}
            if spotify_id in asked and complete(values):
                features[spotify_id] = values
        return features


def spotify_id_of(href):
    """'https://open.spotify.com/track/<id>' -> '<id>', else None."""
    parts = [part for part in urlparse(href or "").path.split("/") if part]
    if (
        len(parts) >= 2
        and parts[-2] == "track"
        and spotify.SPOTIFY_ID.fullmatch(parts[-1])
    ):
        return parts[-1]
    return None


def build_provider(name=None, *, spotify_client=None, timeout=spotify.DEFAULT_TIMEOUT):
    """The provider FEATURES_PROVIDER (or `name`) names; None for "none".

    "spotify" needs a client (it calls Spotify with client credentials).
    """
    name = settings.FEATURES_PROVIDER if name is None else name
    if name == NONE:
        return None
    if name == SPOTIFY:
        client = spotify_client or spotify.build_client(requests_timeout=timeout)
        return SpotifyFeatures(client)
    if name == RECCOBEATS:
        return ReccoBeatsFeatures(timeout=timeout)
    raise ValueError(
        f"FEATURES_PROVIDER must be one of {', '.join(PROVIDERS)}, got {name!r}"
    )


def fetch_batches(provider, policy, track_ids, outcome):
    """Yield (batch, {id: features}) per provider batch, counting into outcome
    (music.enrichment: failing batches skipped, a refusal ends it, RateLimited
    propagates)."""
    return enrichment.fetch_batches(
        provider,
        track_ids,
        outcome,
        ask=lambda batch: policy.call(provider.fetch, batch),
        label=f"{provider.name} features",
    )


def store_features(batch, features, provider):
    """Write a batch's features through the one upsert; mark the ids the
    provider does not know so fill_features does not ask again."""
    upsert_songs(features, source="", feature_source=provider.name)
    mark_features_checked([i for i in batch if i not in features])


def mark_features_checked(track_ids):
    Song.objects.filter(spotify_id__in=track_ids).update(
        features_checked_at=timezone.now()
    )


def fill_features(provider, policy, songs, *, limit=None):
    """Features for `songs` (a queryset), stored batch by batch: resumable,
    since a stored batch no longer needs features or is marked checked."""
    return enrichment.fill(
        provider,
        list(songs.values_list("spotify_id", flat=True)[:limit]),
        lambda batch, features: store_features(batch, features, provider),
        ask=lambda batch: policy.call(provider.fetch, batch),
        label=f"{provider.name} features",
    )


def songs_needing_features(*, retry_checked=False):
    songs = Song.objects.needing_features()
    if not retry_checked:
        songs = songs.filter(features_checked_at=None)
    return songs.order_by("pk")
