"""Spotify Web API access: one client factory and the few calls a harvest makes.

Written for the API as it is today:
- since 2024-11-27 new apps get 403 from audio-features;
- since 2026 development-mode apps get at most 10 search results per page, no
  `popularity`, and playlist tracks live at /playlists/{id}/items (whose
  entries carry the track under "item" instead of "track");
- rate limits answer 429 with Retry-After, which can be hours.

So the client never retries or sleeps on its own: callers see every status
(music.harvest decides what to wait out) and the URLs come from settings so
tests can point the real spotipy client at a stand-in on 127.0.0.1.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlparse

import requests
import spotipy
from django.conf import settings
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials

from music.features import AUDIO_FEATURES, REQUIRED_FEATURES

SEARCH_PAGE_MAX = 10  # development-mode apps, since 2026
SEARCH_OFFSET_MAX = 1000  # search answers 400 past offset + limit = 1000
PLAYLIST_PAGE_MAX = 50
AUDIO_FEATURES_BATCH_MAX = 100
TRACKS_BATCH_MAX = 50
DEFAULT_TIMEOUT = 10
# /items is today's path; /tracks answers on APIs that predate the rename.
PLAYLIST_ENDPOINTS = ("items", "tracks")

# A track, album, artist or playlist id (use fullmatch).
SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")


class CredentialsMissing(Exception):
    """SPOTIPY_CLIENT_ID or SPOTIPY_CLIENT_SECRET is not set."""


@dataclass
class Page:
    """One page of tracks from search or a playlist.

    `tracks` holds one entry per item Spotify returned (None where the item
    has no track), so `len(tracks)` is how far the offset moves.
    """

    tracks: list
    total: int | None
    has_more: bool


def build_client(
    *, client_id=None, client_secret=None, requests_timeout=DEFAULT_TIMEOUT
):
    """A spotipy client (client-credentials flow) that reports, never waits.

    spotipy's own session retries 429/5xx through urllib3, and with retries=0
    that Retry turns a 429 into a header-less "Max Retries" error, losing
    Retry-After. A plain requests.Session passes every status through, so a
    SpotifyException carries the response headers.
    """
    client_id = settings.SPOTIPY_CLIENT_ID if client_id is None else client_id
    if client_secret is None:
        client_secret = settings.SPOTIPY_CLIENT_SECRET
    missing = [
        name
        for name, value in (
            ("SPOTIPY_CLIENT_ID", client_id),
            ("SPOTIPY_CLIENT_SECRET", client_secret),
        )
        if not value
    ]
    if missing:
        raise CredentialsMissing(
            f"Spotify credentials missing: set {' and '.join(missing)} in the "
            "environment (an app's client id and secret from "
            "https://developer.spotify.com/dashboard)."
        )
    auth = SpotifyClientCredentials(
        client_id=client_id,
        client_secret=client_secret,
        requests_session=requests.Session(),
        requests_timeout=requests_timeout,
        # In memory: a harvest must not leave a token file in the working dir.
        cache_handler=MemoryCacheHandler(),
    )
    auth.OAUTH_TOKEN_URL = settings.SPOTIFY_TOKEN_URL
    client = spotipy.Spotify(
        auth_manager=auth,
        requests_session=requests.Session(),
        requests_timeout=requests_timeout,
        retries=0,
        status_retries=0,
    )
    client.prefix = settings.SPOTIFY_API_URL.rstrip("/") + "/"
    return client


def search_tracks(client, query, *, limit, offset):
    result = client.search(query, limit=limit, offset=offset, type="track")
    tracks = (result or {}).get("tracks") or {}
    return Page(
        tracks=list(tracks.get("items") or []),
        total=tracks.get("total"),
        has_more=bool(tracks.get("next")),
    )


def playlist_tracks(client, playlist_id, *, limit, offset, endpoint=None):
    """One page of a playlist's tracks, and the endpoint that answered.

    Tries /items, then /tracks on 404, unless `endpoint` says which one
    worked before. A 404 from the last one means no such playlist (or one
    this app may not read, like Spotify's editorial playlists).
    """
    endpoints = (endpoint,) if endpoint else PLAYLIST_ENDPOINTS
    for position, name in enumerate(endpoints):
        url = f"{client.prefix}playlists/{playlist_id}/{name}"
        try:
            result = client._get(
                url, limit=limit, offset=offset, additional_types="track"
            )
        except spotipy.SpotifyException as exc:
            if exc.http_status == 404 and position + 1 < len(endpoints):
                continue
            raise
        result = result or {}
        entries = result.get("items") or []
        page = Page(
            tracks=[playlist_entry_track(entry) for entry in entries],
            total=result.get("total"),
            has_more=bool(result.get("next")),
        )
        return page, name


def playlist_entry_track(entry):
    if not entry:
        return None
    # 2026 playlist items carry the track as "item"; older ones as "track".
    track = entry.get("item") or entry.get("track")
    if track and entry.get("is_local"):
        track = {**track, "is_local": True}
    return track


def track_covers(client, track_ids):
    """{spotify_id: cover URL} from GET /tracks (several tracks in one call)."""
    covers = {}
    for track in _rows_by_ids(client, "tracks", track_ids, TRACKS_BATCH_MAX):
        url = fitting_url(largest_image_url((track.get("album") or {}).get("images")))
        if url:
            covers[track["id"]] = url
    return covers


def audio_features(client, track_ids):
    """{spotify_id: {feature: value}} for the tracks Spotify has features for."""
    features = {}
    for row in _rows_by_ids(
        client, "audio-features", track_ids, AUDIO_FEATURES_BATCH_MAX
    ):
        values = {name: row.get(name) for name in AUDIO_FEATURES}
        if all(values[name] is not None for name in REQUIRED_FEATURES):
            features[row["id"]] = values
    return features


def _rows_by_ids(client, endpoint, track_ids, limit):
    """The objects GET /<endpoint>?ids=... answers, those with an id (Spotify
    answers null for an id it does not know)."""
    if len(track_ids) > limit:
        raise ValueError(f"at most {limit} ids per request")
    result = client._get(endpoint, ids=",".join(track_ids)) or {}
    rows = result.get(endpoint.replace("-", "_")) or []
    return [row for row in rows if row and row.get("id")]


def track_fields(track):
    """The Song fields a track object gives, or None for a track without an id.

    Local files and unavailable tracks come without a usable id; episodes are
    not songs.
    """
    if not track or track.get("is_local") or track.get("type", "track") != "track":
        return None
    spotify_id = track.get("id") or ""
    if not SPOTIFY_ID.fullmatch(spotify_id):
        return None
    album = track.get("album") or {}
    artists = ", ".join(
        artist["name"] for artist in track.get("artists") or [] if artist.get("name")
    )
    fields = {
        "spotify_id": spotify_id,
        "name": (track.get("name") or "")[:500],
        "artists": artists[:1000],
        "album": (album.get("name") or "")[:500],
        "album_id": (album.get("id") or "")[:22],
        "cover_url": fitting_url(largest_image_url(album.get("images"))),
        "preview_url": fitting_url(track.get("preview_url")),
        "release_date": (album.get("release_date") or "")[:10],
    }
    # Gone for development-mode apps since 2026: keep what we had then.
    if track.get("popularity") is not None:
        fields["popularity"] = int(track["popularity"])
    return fields


def largest_image_url(images):
    images = [image for image in images or [] if image and image.get("url")]
    if not images:
        return ""
    if all(image.get("width") and image.get("height") for image in images):
        images = sorted(images, key=lambda i: i["width"] * i["height"], reverse=True)
    return images[0]["url"]


def fitting_url(url, max_length=500):
    # A cut URL points nowhere: better none than a broken one.
    return url if url and len(url) <= max_length else ""


def parse_playlist_id(value):
    """The id in a bare playlist id, spotify:playlist: URI or open.spotify.com URL."""
    text = (value or "").strip()
    candidate = None
    if text.startswith(("http://", "https://")):
        url = urlparse(text)
        parts = [part for part in url.path.split("/") if part]
        if url.hostname == "open.spotify.com" and "playlist" in parts:
            index = parts.index("playlist")
            candidate = parts[index + 1] if index + 1 < len(parts) else None
    elif text.startswith("spotify:"):
        parts = text.split(":")
        if len(parts) >= 3 and parts[-2] == "playlist":
            candidate = parts[-1]
    else:
        candidate = text
    if not candidate or not SPOTIFY_ID.fullmatch(candidate):
        raise ValueError(
            f"Not a Spotify playlist id, spotify:playlist: URI or open.spotify.com "
            f"playlist URL: {value!r}"
        )
    return candidate
