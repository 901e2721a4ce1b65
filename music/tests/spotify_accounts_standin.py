"""The listener's side of the Spotify stand-in: accounts (PKCE) and /me, on 127.0.0.1.

Extends music.tests.spotify_standin.SpotifyStandIn (its catalogue, scripted
faults and request log) with what a connected listener's calls reach:

- GET /authorize answers as Spotify would after the listener's choice: it
  redirects back with code+state (`consent = "approve"`) or with
  error=access_denied (`consent = "deny"`);
- POST /api/token exchanges a code only with the PKCE verifier whose S256
  challenge /authorize saw, and refreshes tokens (unless revoked);
- /v1/me, /v1/me/top/{artists,tracks}, POST /v1/me/playlists and
  POST/PUT /v1/playlists/{id}/items, with scopes checked, access tokens that
  expire, and 403 for a listener not on the app's allow-list.
"""

import base64
import hashlib
import itertools
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from django.urls import reverse

from music import spotify_account as account
from music.tests.spotify_standin import (
    CLIENT_ID,
    SpotifyStandIn,
    StandInHandler,
    error,
)

ALLOW_LIST_MESSAGE = (
    "Check settings on developer.spotify.com/dashboard, the user may not be registered."
)


@dataclass
class Listener:
    id: str
    display_name: str
    top_artists: list = field(default_factory=list)  # {"id", "name", "genres"}
    top_track_ids: list = field(default_factory=list)
    allowed: bool = True


@dataclass
class Grant:
    listener: Listener
    scope: str
    access_token: str
    refresh_token: str
    expires_at: float
    revoked: bool = False


class AccountsHandler(StandInHandler):
    def do_PUT(self):
        self.handle_any("PUT")


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class SpotifyAccountsStandIn(SpotifyStandIn):
    handler_class = AccountsHandler

    def __init__(self, *, expires_in=3600, **options):
        super().__init__(**options)
        self.listener = Listener(id="listener1", display_name="Lee Listener")
        self.consent = "approve"
        self.expires_in = expires_in
        self.codes = {}  # code -> (challenge, redirect_uri, scope, listener)
        self.grants = []
        self.user_playlists = {}  # id -> {"owner", "name", "public", "uris", ...}
        self._numbers = itertools.count(1)

    # Configuration -------------------------------------------------------

    def set_top(self, *, artists=(), track_ids=()):
        """artists: (name, [genres]) pairs; track_ids: ids from the catalogue or not."""
        self.listener.top_artists = [
            {"id": f"Art{n:019d}", "name": name, "genres": list(genres)}
            for n, (name, genres) in enumerate(artists)
        ]
        self.listener.top_track_ids = list(track_ids)

    def revoke_all(self):
        """The listener removed the app's access in their Spotify account."""
        with self.lock:
            for grant in self.grants:
                grant.revoked = True

    def expire_access_tokens(self):
        with self.lock:
            for grant in self.grants:
                grant.expires_at = 0

    @property
    def accounts_url(self):
        return f"{self.base_url}/"

    # Accounts ------------------------------------------------------------

    def answer(self, method, path, query, headers, body):
        status, extra, payload, delay = super().answer(
            method, path, query, headers, body
        )
        if status == 302:
            extra = {**extra, "Location": payload["redirect"]}
        return status, extra, payload, delay

    def route(self, method, path, query, headers, body):
        if method == "GET" and path == "/authorize":
            return self.authorize(query)
        if method == "POST" and path == "/api/token":
            form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
            if form.get("grant_type") == "authorization_code":
                return self.exchange_code(form)
            if form.get("grant_type") == "refresh_token":
                return self.refresh(form)
        parts = [part for part in path.split("/") if part]
        if parts[:2] == ["v1", "me"] or (
            parts[:2] == ["v1", "playlists"] and method in ("POST", "PUT")
        ):
            grant = self.grant_for(headers)
            if grant is None:
                return 401, error(401, "Invalid access token")
            if grant.expires_at < time.time():
                return 401, error(401, "The access token expired")
            if not grant.listener.allowed:
                return 403, error(403, ALLOW_LIST_MESSAGE)
            return self.listener_api(grant, method, parts, query, body)
        return super().route(method, path, query, headers, body)

    def authorize(self, query):
        required = ("client_id", "redirect_uri", "code_challenge", "response_type")
        if any(not query.get(name) for name in required):
            return 400, error(400, "Missing authorize parameter")
        if query["client_id"] != CLIENT_ID:
            return 400, error(400, "INVALID_CLIENT: Invalid client")
        if query.get("code_challenge_method") != "S256":
            return 400, error(400, "code_challenge_method must be S256")
        if self.consent == "deny":
            answer = {"error": "access_denied"}
        else:
            code = f"code-{next(self._numbers)}"
            with self.lock:
                self.codes[code] = (
                    query["code_challenge"],
                    query["redirect_uri"],
                    query.get("scope", ""),
                    self.listener,
                )
            answer = {"code": code}
        if "state" in query:
            answer["state"] = query["state"]
        location = f"{query['redirect_uri']}?{urlencode(answer)}"
        return 302, {"redirect": location}

    def exchange_code(self, form):
        if form.get("client_id") != CLIENT_ID:
            return 400, {"error": "invalid_client", "error_description": "Invalid"}
        with self.lock:
            issued = self.codes.pop(form.get("code"), None)  # a code works once
        if issued is None:
            return 400, {"error": "invalid_grant", "error_description": "Invalid code"}
        challenge, redirect_uri, scope, listener = issued
        if form.get("redirect_uri") != redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "Bad redirect"}
        if s256(form.get("code_verifier") or "") != challenge:
            return 400, {
                "error": "invalid_grant",
                "error_description": "code_verifier was incorrect",
            }
        n = next(self._numbers)
        grant = Grant(
            listener=listener,
            scope=scope,
            access_token=f"user-access-{n}",
            refresh_token=f"user-refresh-{n}",
            expires_at=time.time() + self.expires_in,
        )
        with self.lock:
            self.grants.append(grant)
        return 200, self.token_body(grant, with_refresh=True)

    def refresh(self, form):
        with self.lock:
            grant = next(
                (
                    g
                    for g in self.grants
                    if g.refresh_token == form.get("refresh_token")
                ),
                None,
            )
            if grant is None or grant.revoked or form.get("client_id") != CLIENT_ID:
                return 400, {"error": "invalid_grant", "error_description": "Revoked"}
            grant.access_token = f"user-access-{next(self._numbers)}"
            grant.expires_at = time.time() + self.expires_in
        return 200, self.token_body(grant, with_refresh=False)

    def token_body(self, grant, *, with_refresh):
        body = {
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "scope": grant.scope,
            "expires_in": self.expires_in,
        }
        if with_refresh:
            body["refresh_token"] = grant.refresh_token
        return body

    def grant_for(self, headers):
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        with self.lock:
            return next(
                (g for g in self.grants if g.access_token == token and not g.revoked),
                None,
            )

    # The listener's API --------------------------------------------------

    def listener_api(self, grant, method, parts, query, body):
        listener = grant.listener
        scopes = set(grant.scope.split())
        if method == "GET" and parts == ["v1", "me"]:
            return 200, {
                "id": listener.id,
                "display_name": listener.display_name,
                "type": "user",
                "uri": f"spotify:user:{listener.id}",
            }
        if method == "GET" and parts[:3] == ["v1", "me", "top"] and len(parts) == 4:
            if "user-top-read" not in scopes:
                return 403, error(403, "Insufficient client scope")
            if query.get("time_range", "medium_term") not in (
                "short_term",
                "medium_term",
                "long_term",
            ):
                return 400, error(400, "Invalid time range")
            if parts[3] == "artists":
                items = listener.top_artists
            elif parts[3] == "tracks":
                items = [self.top_track(i) for i in listener.top_track_ids]
            else:
                return 404, error(404, "Service not found")
            return self.paged(items, query)
        if method == "POST" and parts == ["v1", "me", "playlists"]:
            return self.create_playlist(listener, scopes, body)
        if len(parts) == 4 and parts[1] == "playlists" and parts[3] == "items":
            return self.change_items(listener, scopes, method, parts[2], body)
        return 404, error(404, "Service not found")

    def top_track(self, track_id):
        track = self.by_id.get(track_id)
        if track is None:  # a song of the site's pool: any id works here
            track = {
                "id": track_id,
                "type": "track",
                "uri": f"spotify:track:{track_id}",
                "name": f"Top track {track_id[:6]}",
                "artists": [{"id": "Art" + track_id[3:], "name": "Top Artist"}],
                "album": {"id": track_id, "name": "Top album", "images": []},
            }
        return self.public(track)

    def paged(self, items, query):
        limit, offset = int(query.get("limit", 20)), int(query.get("offset", 0))
        if not 1 <= limit <= 50:
            return 400, error(400, "Invalid limit")
        return 200, {
            "items": items[offset : offset + limit],
            "total": len(items),
            "limit": limit,
            "offset": offset,
            "next": None,
        }

    def create_playlist(self, listener, scopes, body):
        data = json.loads(body or b"{}")
        if not data.get("name"):
            return 400, error(400, "Missing name")
        needed = (
            "playlist-modify-public"
            if data.get("public", True)
            else ("playlist-modify-private")
        )
        if needed not in scopes:
            return 403, error(403, "Insufficient client scope")
        playlist_id = f"Pl{next(self._numbers):020d}"
        playlist = {
            "id": playlist_id,
            "owner": listener.id,
            "name": data["name"],
            "public": data.get("public", True),
            "description": data.get("description", ""),
            "uris": [],
        }
        with self.lock:
            self.user_playlists[playlist_id] = playlist
        return 201, {
            "id": playlist_id,
            "name": data["name"],
            "public": playlist["public"],
            "uri": f"spotify:playlist:{playlist_id}",
            "external_urls": {
                "spotify": f"https://open.spotify.com/playlist/{playlist_id}"
            },
            "owner": {"id": listener.id},
        }

    def change_items(self, listener, scopes, method, playlist_id, body):
        playlist = self.user_playlists.get(playlist_id)
        if playlist is None:
            return 404, error(404, "Resource not found")
        if playlist["owner"] != listener.id:
            return 403, error(403, "You cannot add items to this playlist")
        if "playlist-modify-private" not in scopes:
            return 403, error(403, "Insufficient client scope")
        data = json.loads(body or b"{}")
        uris = data.get("uris") if isinstance(data, dict) else data
        if not isinstance(uris, list) or len(uris) > 100:
            return 400, error(400, "At most 100 uris")
        if not all(str(uri).startswith("spotify:track:") for uri in uris):
            return 400, error(400, "Invalid uri")
        with self.lock:
            if method == "PUT":
                playlist["uris"] = list(uris)
            else:
                playlist["uris"].extend(uris)
        return (200 if method == "PUT" else 201), {"snapshot_id": "snap"}


@contextmanager
def running_accounts_standin(settings=None, **options):
    """A started stand-in; with pytest-django's `settings`, pointed at by them."""
    standin = SpotifyAccountsStandIn(**options).start()
    if settings is not None:
        settings.SPOTIFY_API_URL = standin.api_url
        settings.SPOTIFY_TOKEN_URL = standin.token_url
        settings.SPOTIFY_ACCOUNTS_URL = standin.accounts_url
        settings.SPOTIPY_CLIENT_ID = CLIENT_ID
        settings.SPOTIPY_CLIENT_SECRET = ""
    try:
        yield standin
    finally:
        standin.stop()


# For the tests that go through the connect pages ------------------------------


@contextmanager
def running_for_pages(settings):
    """The stand-in for tests that go through the site's pages (Django's test
    settings changed for the test: a short timeout, 3 songs a page)."""
    settings.SPOTIFY_ACCOUNT_TIMEOUT = 5
    settings.SONGS_PER_PAGE = 3
    with running_accounts_standin(settings) as standin:
        yield standin


def query_of(url):
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


def go_to_spotify_and_back(client, next_url="/songs/happy/more/"):
    """Connect: our redirect to Spotify, Spotify's redirect back, our callback."""
    answer = client.get(reverse("spotify:connect"), {"next": next_url})
    assert answer.status_code == 302
    spotify = requests.get(answer["Location"], allow_redirects=False, timeout=5)
    assert spotify.status_code == 302
    back = urlparse(spotify.headers["Location"])
    assert back.path == reverse("spotify:callback")
    return client.get(back.path, query_of(spotify.headers["Location"]))


def store_of(client):
    return account.AccountStore(client.session)
