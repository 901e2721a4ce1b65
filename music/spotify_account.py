"""The listener's own Spotify: connect (OAuth PKCE), tokens, /me calls, playlists.

Everything about one visitor's connection lives in an AccountStore on the
server, never in the page: with a server-side session engine in the session
itself, with signed-cookie sessions in a separate server-side record that the
cookie only names (see AccountStore).

Spotify's refusals become AccountError subclasses whose `message` a page can
show as it is. Clients never retry or sleep (spotipy would sleep out a 429's
Retry-After inside a web request); callers see every status.
"""

import secrets
import time
from contextlib import contextmanager

import requests
import spotipy
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from spotipy.cache_handler import CacheHandler
from spotipy.oauth2 import SpotifyOauthError, SpotifyPKCE

from music.models import Song
from music.retrying import retry_after_seconds
from music.services import upsert_songs
from music.spotify import track_fields
from music.taste import build_profile

# Only what the site uses: the taste profile and saving a private playlist.
SCOPES = ("user-top-read", "playlist-modify-private")
TOP_TIME_RANGES = ("short_term", "medium_term")
TOP_LIMIT = 50
PLAYLIST_ITEMS_MAX = 100  # per request, for both POST and PUT /items
# What the store learns about a connected account (all but the tokens).
ACCOUNT_FACTS = (
    "display_name",
    "taste",
    "taste_retry_at",
    "playlists",
)
# Song.source of the listeners' own tracks that join the pool for approval.
LIBRARY_SOURCE = "a listener's library"
# After a failed taste fetch, pages go without it for this long.
TASTE_RETRY_SECONDS = 60
# Spotify's token errors that mean "this grant is gone": connect again.
GRANT_GONE = {"invalid_grant", "invalid_client", "invalid_request"}


class AccountError(Exception):
    """Spotify said no; `message` is written for the listener."""

    message = "Spotify could not do that just now. Please try again."

    def __init__(self, message=None):
        if message:
            self.message = message
        super().__init__(self.message)


class NotConfigured(AccountError):
    message = "Connecting Spotify is not set up on this site (SPOTIPY_CLIENT_ID)."


class NotConnected(AccountError):
    message = "Connect your Spotify account first."


class ConsentRefused(AccountError):
    message = (
        "You chose not to connect Spotify, so nothing was shared. "
        "The site works as before; you can connect any time."
    )


class StaleCallback(AccountError):
    message = (
        "That Spotify sign-in did not start here or has expired. "
        "Please use “Connect Spotify” again."
    )


class ReconnectNeeded(AccountError):
    message = (
        "Your Spotify connection has expired or was revoked. "
        "Please connect Spotify again."
    )


class NotOnAllowList(AccountError):
    message = (
        "Spotify refused your account for this site: its Spotify app is in "
        "development mode, where only the (up to 5) listeners its owner added "
        "to the app's allow-list may use it. Ask the site's owner to add your "
        "Spotify account."
    )


class RateLimited(AccountError):
    def __init__(self, retry_after):
        self.retry_after = retry_after
        super().__init__(
            "Spotify is getting too many requests from this site. "
            f"Please try again in {_duration(retry_after)}."
        )


class NotFound(AccountError):
    message = "Spotify could not find that any more."


class SpotifyUnavailable(AccountError):
    message = (
        "Spotify did not answer in time or could not be reached. "
        "Please try again in a moment."
    )


def _duration(seconds):
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"


# The store ------------------------------------------------------------------


def keeps_data_on_server(session):
    """False for django.contrib.sessions' signed-cookie engine (data in the cookie)."""
    return not type(session).__module__.endswith("signed_cookies")


class AccountStore:
    """One visitor's Spotify connection, on the server.

    Holds the tokens, the PKCE verifier and state of a sign-in under way, the
    taste profile, the playlists saved this visit and pending notices. With a
    server-side session engine it is one key of the session; with signed
    cookies it is a record of the DB session backend (the django_session
    table, expired like any session) and the cookie holds only its random key.

    With signed cookies, a sign-in under way and the notices (IN_COOKIE) stay
    in the cookie itself, so only a visitor who has connected has a record: a
    GET of /spotify/connect/ writes no database row (100 bots, 100 rows kept
    for two weeks, otherwise). The PKCE verifier is then readable by the
    visitor's own browser, which is where a public PKCE client keeps it
    anyway; the signature stops it being changed, and the state check stops
    another browser's callback.
    """

    KEY = "spotify_account"
    REF_KEY = "spotify_account_ref"
    IN_COOKIE = ("pending", "notices")

    def __init__(self, session):
        self.session = session
        self.on_server = keeps_data_on_server(session)
        self._record = None

    @classmethod
    def for_request(cls, request):
        # One per request: with signed cookies each store caches the record it
        # read, and two would overwrite each other's writes.
        if not hasattr(request, "_spotify_account_store"):
            request._spotify_account_store = cls(request.session)
        return request._spotify_account_store

    def _backing(self):
        if self.on_server:
            return self.session
        if self._record is None:
            self._record = DbSessionStore(session_key=self.session.get(self.REF_KEY))
        return self._record

    def _data(self):
        return dict(self._backing().get(self.KEY) or {})

    def _write(self, data):
        backing = self._backing()
        backing[self.KEY] = data
        if not self.on_server:
            backing.save()
            self.session[self.REF_KEY] = backing.session_key

    def _cookie_key(self, name):
        """The session key for `name` when it lives in the cookie, else None."""
        if not self.on_server and name in self.IN_COOKIE:
            return f"{self.KEY}_{name}"
        return None

    def get(self, name, default=None):
        if key := self._cookie_key(name):
            return self.session.get(key, default)
        return self._data().get(name, default)

    def set(self, name, value):
        if key := self._cookie_key(name):
            self.session[key] = value
            return
        data = self._data()
        data[name] = value
        self._write(data)

    def pop(self, name, default=None):
        if key := self._cookie_key(name):
            return self.session.pop(key, default)
        data = self._data()
        value = data.pop(name, default)
        if value is not default:
            self._write(data)
        return value

    def clear(self):
        if self.on_server:
            self.session.pop(self.KEY, None)
            return
        self.pop("pending")
        if self.session.get(self.REF_KEY):
            self._backing().delete()
            self.session.pop(self.REF_KEY, None)
            self._record = None

    # Notices: one-off messages for the next page the visitor sees.

    def add_notice(self, text, *, level="info", link=None):
        notices = self.get("notices", [])
        notices.append({"text": text, "level": level, "link": link})
        self.set("notices", notices)

    def take_notices(self):
        return self.pop("notices", [])


class StoreCacheHandler(CacheHandler):
    """spotipy's token cache, kept in the visitor's AccountStore."""

    def __init__(self, store):
        self.store = store

    def get_cached_token(self):
        return self.store.get("token")

    def save_token_to_cache(self, token_info):
        self.store.set("token", token_info)


def is_configured():
    return bool(settings.SPOTIPY_CLIENT_ID)


def is_connected(store):
    return bool(store.get("token"))


# The sign-in ------------------------------------------------------------------


class SitePKCE(SpotifyPKCE):
    """spotipy's PKCE flow for a web site: URLs from settings, never prompts.

    Without a usable token spotipy would ask for a code on stdin (or open a
    browser); on a server that means the visitor must connect (again).
    """

    def __init__(self, store, *, redirect_uri=None, state=None):
        if not is_configured():
            raise NotConfigured()
        super().__init__(
            client_id=settings.SPOTIPY_CLIENT_ID,
            # Only the sign-in uses it, but spotipy insists on one.
            redirect_uri=redirect_uri or settings.SPOTIFY_REDIRECT_URI or "unused",
            state=state,
            scope=list(SCOPES),
            cache_handler=StoreCacheHandler(store),
            requests_session=requests.Session(),
            requests_timeout=settings.SPOTIFY_ACCOUNT_TIMEOUT,
            open_browser=False,
        )
        accounts = settings.SPOTIFY_ACCOUNTS_URL.rstrip("/")
        self.OAUTH_AUTHORIZE_URL = f"{accounts}/authorize"
        self.OAUTH_TOKEN_URL = settings.SPOTIFY_TOKEN_URL

    def get_authorization_code(self, response=None):
        # Reached when there is no token, or one without today's SCOPES.
        if self.cache_handler.get_cached_token():
            self.cache_handler.store.pop("token")
            raise ReconnectNeeded()
        raise NotConnected()


def begin_connect(store, *, redirect_uri, next_url):
    """Where to send the visitor to sign in; remembers the state and verifier."""
    state = secrets.token_urlsafe(24)
    auth = SitePKCE(store, redirect_uri=redirect_uri, state=state)
    auth.get_pkce_handshake_parameters()
    store.set(
        "pending",
        {
            "state": state,
            "verifier": auth.code_verifier,
            "redirect_uri": redirect_uri,
            "next": next_url,
        },
    )
    return auth.get_authorize_url()


def finish_connect(store, params):
    """Handle Spotify's redirect back (its query `params`); returns the `next` URL.

    Raises StaleCallback when the state does not match a sign-in started
    here, ConsentRefused when the listener said no, and the usual errors when
    the code exchange fails.
    """
    pending = store.get("pending") or {}
    # Compared before anything is used up, so a forged callback cannot cancel
    # the sign-in under way.
    if not pending.get("state") or params.get("state") != pending["state"]:
        raise StaleCallback()
    store.pop("pending")
    for name in ACCOUNT_FACTS:  # they may belong to another account
        store.pop(name)
    if params.get("error") == "access_denied":
        raise ConsentRefused()
    if params.get("error") or not params.get("code"):
        raise AccountError(
            f"Spotify did not connect ({params.get('error') or 'no code'}). "
            "Please try again."
        )
    auth = SitePKCE(store, redirect_uri=pending["redirect_uri"], state=pending["state"])
    auth.code_verifier = pending["verifier"]
    auth.code_challenge = auth._get_code_challenge()
    try:
        with spotify_errors(store):
            auth.get_access_token(params["code"], check_cache=False)
    except ReconnectNeeded as error:
        raise AccountError(
            "Spotify did not accept this sign-in. Please connect again."
        ) from error
    return pending.get("next")


def disconnect(store):
    """Forget the tokens and everything learnt through them."""
    store.clear()


# Calls --------------------------------------------------------------------------


def build_client(store):
    """A spotipy client on the visitor's token that reports, never waits.

    A plain requests.Session instead of spotipy's retrying one: that one would
    sleep on Retry-After or turn a 429 into a header-less error (see
    music.spotify.build_client).
    """
    if not is_connected(store):
        raise NotConnected()
    client = spotipy.Spotify(
        auth_manager=SitePKCE(store),
        requests_session=requests.Session(),
        requests_timeout=settings.SPOTIFY_ACCOUNT_TIMEOUT,
        retries=0,
        status_retries=0,
    )
    client.prefix = settings.SPOTIFY_API_URL.rstrip("/") + "/"
    return client


@contextmanager
def spotify_errors(store):
    """Turn what Spotify or the network said into an AccountError."""
    try:
        yield
    except spotipy.SpotifyException as exc:
        raise _api_error(store, exc) from exc
    except SpotifyOauthError as exc:
        # `error` is the token endpoint's code, or whatever body it sent.
        if isinstance(exc.error, str) and exc.error in GRANT_GONE:
            store.pop("token")
            raise ReconnectNeeded() from exc
        raise SpotifyUnavailable() from exc
    except requests.RequestException as exc:
        raise SpotifyUnavailable() from exc


def _api_error(store, exc):
    status = exc.http_status
    if status == 429:
        return RateLimited(retry_after_seconds(exc, default=60))
    if status == 401:
        store.pop("token")
        return ReconnectNeeded()
    if status == 403:
        if "scope" in str(exc.msg).lower():
            store.pop("token")
            return ReconnectNeeded()
        return NotOnAllowList()
    if status == 404:
        return NotFound()
    if status >= 500:
        return SpotifyUnavailable()
    return AccountError()


def call(store, method, *args, **kwargs):
    """client.method(*args) with errors translated.

    A 401 on a token spotipy thought valid (revoked, or a clock that is
    off) gets one forced refresh before the visitor is asked to reconnect.
    """
    with spotify_errors(store):
        client = build_client(store)
        try:
            return getattr(client, method)(*args, **kwargs)
        except spotipy.SpotifyException as exc:
            token = store.get("token")
            if exc.http_status != 401 or not token:
                raise
            store.set("token", {**token, "expires_at": 0})
            return getattr(build_client(store), method)(*args, **kwargs)


def current_user(store):
    return call(store, "me")


def top_items(store, kind):
    """The listener's top artists or tracks, short then medium term, no repeats."""
    method = {
        "artists": "current_user_top_artists",
        "tracks": "current_user_top_tracks",
    }[kind]
    items, seen = [], set()
    for time_range in TOP_TIME_RANGES:
        page = call(store, method, limit=TOP_LIMIT, time_range=time_range) or {}
        for item in page.get("items") or []:
            if item and item.get("id") and item["id"] not in seen:
                seen.add(item["id"])
                items.append(item)
    return items


# Taste ----------------------------------------------------------------------------


def taste_profile(store):
    """The listener's taste (music.taste), fetched once per connection.

    Their top tracks that the pool does not know yet are added to it, held
    for staff approval: once fill_features and classify_songs have given them
    features and a mood they show to this listener as "From your library",
    and to everyone only after staff approve them in the admin.
    """
    profile = store.get("taste")
    if profile is None:
        tracks = top_items(store, "tracks")
        profile = build_profile(top_items(store, "artists"), tracks)
        offered = {}
        for fields in filter(None, map(track_fields, tracks)):
            offered[fields.pop("spotify_id")] = fields
        # Only tracks new to the pool: a listener's connection is no reason to
        # rewrite what the pool holds.
        known = Song.objects.filter(spotify_id__in=list(offered))
        for spotify_id in known.values_list("spotify_id", flat=True):
            del offered[spotify_id]
        upsert_songs(offered, source=LIBRARY_SOURCE, hold_new=True)
        store.set("taste", profile)
    return profile


def taste_for_request(request):
    """The connected visitor's taste profile for recommender.selection, or None.

    Worked out once per request: the view and the page's Spotify controls
    share it. A visitor who has not connected, or whose Spotify says no right
    now, gets the site as it is for everyone.
    """
    try:
        return request.listener_taste
    except AttributeError:
        request.listener_taste = _taste_for_request(request)
        return request.listener_taste


def _taste_for_request(request):
    store = AccountStore.for_request(request)
    if not is_connected(store):
        return None
    profile = store.get("taste")
    # Only a POST may fetch it (the connection's callback normally has): the
    # fetch calls Spotify and adds the listener's new tracks to the pool, which
    # a GET must not do.
    if profile is not None or request.method != "POST":
        return profile
    if time.time() < store.get("taste_retry_at", 0):
        return None  # it failed a moment ago: don't slow every page down
    try:
        return taste_profile(store)
    except AccountError as error:
        wait = max(TASTE_RETRY_SECONDS, getattr(error, "retry_after", 0))
        store.set("taste_retry_at", time.time() + wait)
        return None


def library_songs(profile, mood):
    """Their own top tracks in this mood (in the pool or awaiting approval),
    in their order."""
    track_ids = (profile or {}).get("track_ids") or []
    songs = Song.objects.listeners_own(track_ids, mood)
    position = {track_id: n for n, track_id in enumerate(track_ids)}
    return sorted(songs, key=lambda song: position[song.spotify_id])


# Playlists ----------------------------------------------------------------------


def save_playlist(store, *, name, track_ids, key, description=""):
    """Create a private playlist of `track_ids`, or replace the items of the
    one saved under `key` earlier this visit; returns {"id", "name", "url"}.

    Uses today's endpoints: POST /me/playlists, then POST/PUT
    /playlists/{id}/items, at most 100 items a request.
    """
    if not track_ids:
        raise ValueError("a playlist needs at least one track")
    saved = store.get("playlists", {})
    playlist = saved.get(key)
    uris = [f"spotify:track:{track_id}" for track_id in track_ids]
    chunks = [
        uris[start : start + PLAYLIST_ITEMS_MAX]
        for start in range(0, len(uris), PLAYLIST_ITEMS_MAX)
    ]
    if playlist:
        try:
            call(store, "playlist_replace_items", playlist["id"], chunks[0])
        except NotFound:
            playlist = None  # deleted in Spotify meanwhile: make a new one
        else:
            chunks = chunks[1:]
    if not playlist:
        created = call(
            store,
            "current_user_playlist_create",
            name,
            public=False,
            description=description,
        )
        playlist = {
            "id": created["id"],
            "name": created.get("name") or name,
            "url": (created.get("external_urls") or {}).get("spotify")
            or f"https://open.spotify.com/playlist/{created['id']}",
        }
        saved[key] = playlist
        store.set("playlists", saved)
    for chunk in chunks:
        call(store, "playlist_add_items", playlist["id"], chunk)
    return playlist
