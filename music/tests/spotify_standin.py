"""A stand-in for the web APIs the song pool uses, on 127.0.0.1, for tests.

It speaks the few Spotify endpoints a harvest uses, with today's rules (search
pages of at most 10, playlist tracks at /items, no popularity unless asked,
403 from audio-features when configured so), ReccoBeats' audio-features
lookup (/reccobeats/v1/audio-features) and Spotify's oEmbed (/oembed). It can
be scripted to fail a path: 429 with Retry-After, 5xx, or an answer held back
until the client gives up (hold=True; no clock involved). Every request is
recorded so tests can assert what the real clients asked for.
"""

import base64
import json
import random
import select
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WORDS = ("chill", "party", "rain", "sunny", "night", "drive", "blue", "fire")
CLIENT_ID = "standin-client-id"
CLIENT_SECRET = "standin-client-secret"
ACCESS_TOKEN = "standin-access-token"


def make_catalogue(size=300, seed=7):
    """Fake tracks with valid ids, and their audio features, in a stable order."""
    rng = random.Random(seed)
    tracks, features = [], {}
    for number in range(size):
        track_id = "".join(rng.choice(BASE62) for _ in range(22))
        album_id = "".join(rng.choice(BASE62) for _ in range(22))
        word = WORDS[number % len(WORDS)]
        tracks.append(
            {
                "id": track_id,
                "type": "track",
                "uri": f"spotify:track:{track_id}",
                "is_local": False,
                "name": f"{word.capitalize()} song {number}",
                "artists": [
                    {"id": album_id, "name": f"Artist {number % 13}"},
                    {"id": album_id[::-1], "name": f"Guest {number % 5}"},
                ],
                "album": {
                    "id": album_id,
                    "name": f"Album {number // 4}",
                    "release_date": f"{1990 + number % 30}-0{1 + number % 9}-15",
                    "images": [
                        {
                            "url": f"https://i.test/{album_id}/300",
                            "width": 300,
                            "height": 300,
                        },
                        {
                            "url": f"https://i.test/{album_id}/640",
                            "width": 640,
                            "height": 640,
                        },
                        {
                            "url": f"https://i.test/{album_id}/64",
                            "width": 64,
                            "height": 64,
                        },
                    ],
                },
                "preview_url": f"https://p.test/{track_id}.mp3" if number % 3 else None,
                "popularity": rng.randint(0, 100),
            }
        )
        features[track_id] = {
            "id": track_id,
            "danceability": rng.random(),
            "acousticness": rng.random(),
            "energy": rng.random(),
            "instrumentalness": rng.random(),
            "liveness": rng.random(),
            "valence": rng.random(),
            "loudness": -rng.uniform(2, 30),
            "speechiness": rng.random() / 3,
            "tempo": rng.uniform(60, 180),
            "duration_ms": rng.randint(90_000, 400_000),
            "key": rng.randint(0, 11),
            "mode": rng.randint(0, 1),
            "time_signature": 4,
        }
    return tracks, features


@dataclass
class Fault:
    """Answer requests whose path starts with `path` this way.

    The first `skip` matching requests pass untouched; then `times` requests
    (None: every one) get `status` (with Retry-After when set), or with
    hold=True get no answer until the client closes the connection (its
    timeout) or the stand-in stops. `arrived` is set when a faulted request
    comes in, `gave_up` when a held client has hung up.
    """

    path: str
    status: int | None = None
    retry_after: int | None = None
    hold: bool = False
    times: int | None = 1
    skip: int = 0

    def __post_init__(self):
        self.arrived = threading.Event()
        self.gave_up = threading.Event()

    def take(self, path):
        if not path.startswith(self.path) or self.times == 0:
            return False
        if self.skip:
            self.skip -= 1
            return False
        if self.times is not None:
            self.times -= 1
        return True


@dataclass
class Request:
    method: str
    path: str
    query: dict
    status: int


class SpotifyStandIn:
    # The request handler (None: StandInHandler); a subclass that answers
    # more paths names its own.
    handler_class = None

    def __init__(
        self,
        *,
        catalogue_size=300,
        audio_features_allowed=True,
        playlist_tracks_404=True,
        with_popularity=False,
    ):
        self.tracks, self.features = make_catalogue(catalogue_size)
        self.by_id = {track["id"]: track for track in self.tracks}
        self.audio_features_allowed = audio_features_allowed
        # 2026: only /items answers; before, only /tracks existed.
        self.playlist_tracks_404 = playlist_tracks_404
        self.playlist_items_404 = False
        self.with_popularity = with_popularity
        self.playlists = {}
        self.faults = []
        self.requests = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = None
        # ReccoBeats knows every catalogue track unless told otherwise, and
        # measures a little differently from Spotify (its own analysis).
        self.reccobeats_unknown = set()
        self.reccobeats_shift = 0.03
        self.oembed_unknown = set()

    # Configuration -------------------------------------------------------

    def add_playlist(self, playlist_id, entries):
        """entries: track ids, or None for a local/unavailable item."""
        self.playlists[playlist_id] = list(entries)

    def add_fault(self, path, **kwargs):
        fault = Fault(path=path, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self):
        with self.lock:
            self.faults.clear()

    def search_results(self, query):
        """Every track a query finds, in the order search pages them."""
        words = query.lower().split()
        return [t for t in self.tracks if all(w in t["name"].lower() for w in words)]

    def requests_to(self, path):
        with self.lock:
            return [r for r in self.requests if r.path.rstrip("/") == path]

    # Lifecycle -----------------------------------------------------------

    @property
    def base_url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self):
        return f"{self.base_url}/v1/"

    @property
    def reccobeats_url(self):
        return f"{self.base_url}/reccobeats/v1/"

    @property
    def oembed_url(self):
        return f"{self.base_url}/oembed"

    @property
    def token_url(self):
        return f"{self.base_url}/api/token"

    def start(self):
        base = self.handler_class or StandInHandler
        handler = type("Handler", (base,), {"standin": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        # A short poll so stop() (which waits for the loop) is quick.
        thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )
        thread.start()
        return self

    def stop(self):
        self.stopping.set()  # releases held answers
        self.server.shutdown()
        self.server.server_close()

    # Answers -------------------------------------------------------------

    def answer(self, method, path, query, headers, body):
        """(status, extra headers, JSON body, fault) for one request."""
        with self.lock:
            fault = next((f for f in self.faults if f.take(path)), None)
        if fault and fault.status:
            extra = {}
            if fault.retry_after is not None:
                extra["Retry-After"] = str(fault.retry_after)
            return fault.status, extra, error(fault.status, "scripted fault"), fault
        status, payload = self.route(method, path, query, headers, body)
        return status, {}, payload, fault

    def route(self, method, path, query, headers, body):
        if method == "POST" and path == "/api/token":
            return self.token(headers, body)
        if method == "GET" and path == "/reccobeats/v1/audio-features":
            return self.reccobeats_features(query)
        if method == "GET" and path == "/oembed":
            return self.oembed(query)
        if headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return 401, error(401, "No token provided")
        if method != "GET":
            return 405, error(405, "Method not allowed")
        parts = [part for part in path.split("/") if part]
        if parts == ["v1", "search"]:
            return self.search(query)
        if parts == ["v1", "tracks"]:
            return self.several_tracks(query)
        if parts == ["v1", "audio-features"]:
            return self.audio_features(query)
        if len(parts) == 4 and parts[:2] == ["v1", "playlists"]:
            return self.playlist(parts[2], parts[3], query)
        return 404, error(404, "Service not found")

    def token(self, headers, body):
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = parse_qs(body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type"}
        if headers.get("Authorization") != f"Basic {expected}":
            return 400, {"error": "invalid_client", "error_description": "Invalid"}
        body = {
            "access_token": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": 3600,
        }
        return 200, body

    def search(self, query):
        if query.get("type") != "track" or not query.get("q"):
            return 400, error(400, "Only type=track searches with q")
        limit, offset = int(query.get("limit", 5)), int(query.get("offset", 0))
        if not 1 <= limit <= 10:
            return 400, error(400, "Invalid limit")
        if offset + limit > 1000:
            return 400, error(400, "Invalid offset")
        found = self.search_results(query["q"])
        items = [self.public(track) for track in found[offset : offset + limit]]
        more = offset + limit < len(found)
        page = {"items": items, "limit": limit, "offset": offset, "total": len(found)}
        page["next"] = f"{self.api_url}search?offset={offset + limit}" if more else None
        return 200, {"tracks": page}

    def several_tracks(self, query):
        ids = [i for i in query.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 50:
            return 400, error(400, "Invalid ids")
        return 200, {"tracks": [self.public(self.by_id.get(i)) for i in ids]}

    def audio_features(self, query):
        if not self.audio_features_allowed:
            return 403, error(403, "Forbidden")
        ids = [i for i in query.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return 400, error(400, "Invalid ids")
        return 200, {"audio_features": [self.features.get(i) for i in ids]}

    def reccobeats_features(self, query):
        ids = [i for i in query.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 40:
            return 400, {"error": "ids: between 1 and 40"}
        content = []
        for track_id in ids:
            features = self.features.get(track_id)
            if features is None or track_id in self.reccobeats_unknown:
                continue
            row = {
                k: v
                for k, v in features.items()
                if k not in ("id", "duration_ms", "time_signature")
            }
            for name in ("energy", "valence", "danceability"):
                row[name] = min(1.0, max(0.0, row[name] + self.reccobeats_shift))
            row["id"] = f"rb-{track_id}"
            row["href"] = f"https://open.spotify.com/track/{track_id}"
            content.append(row)
        return 200, {"content": content}

    def oembed(self, query):
        prefix = "https://open.spotify.com/track/"
        url = query.get("url", "")
        track_id = url[len(prefix) :] if url.startswith(prefix) else ""
        if track_id not in self.by_id or track_id in self.oembed_unknown:
            return 404, {"error": "not found"}
        album = self.by_id[track_id]["album"]
        return 200, {
            "type": "rich",
            "title": self.by_id[track_id]["name"],
            "thumbnail_url": f"https://image-cdn.test/{album['id']}",
            "thumbnail_width": 300,
            "thumbnail_height": 300,
        }

    def playlist(self, playlist_id, endpoint, query):
        if endpoint == "tracks" and self.playlist_tracks_404:
            return 404, error(404, "Service not found")
        if endpoint == "items" and self.playlist_items_404:
            return 404, error(404, "Service not found")
        if endpoint not in ("items", "tracks") or playlist_id not in self.playlists:
            return 404, error(404, "Resource not found")
        limit, offset = int(query.get("limit", 50)), int(query.get("offset", 0))
        if not 1 <= limit <= (50 if endpoint == "items" else 100):
            return 400, error(400, "Invalid limit")
        entries = self.playlists[playlist_id]
        key = "item" if endpoint == "items" else "track"
        items = []
        for track_id in entries[offset : offset + limit]:
            if track_id is None:
                local = {"id": None, "name": "my local file", "uri": "spotify:local:x"}
                items.append({"is_local": True, key: local})
            else:
                items.append(
                    {"is_local": False, key: self.public(self.by_id[track_id])}
                )
        more = offset + limit < len(entries)
        return 200, {
            "items": items,
            "limit": limit,
            "offset": offset,
            "total": len(entries),
            "next": f"{self.api_url}playlists/{playlist_id}/{endpoint}"
            if more
            else None,
        }

    def public(self, track):
        if track is None or self.with_popularity:
            return track
        return {key: value for key, value in track.items() if key != "popularity"}


def error(status, message):
    return {"error": {"status": status, "message": message}}


class StandInHandler(BaseHTTPRequestHandler):
    standin = None  # set on the subclass made by SpotifyStandIn.start

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        url = urlparse(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, extra, payload, fault = self.standin.answer(
            method, url.path, query, self.headers, body
        )
        with self.standin.lock:
            self.standin.requests.append(Request(method, url.path, query, status))
        if fault:
            fault.arrived.set()
            if fault.hold:
                self.hold_until_client_gives_up(fault)
                return
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

    def hold_until_client_gives_up(self, fault):
        """Answer nothing until the client hangs up (its read timeout) or the
        stand-in stops: a slow server without a race against the clock."""
        connection = self.connection
        while not self.standin.stopping.is_set():
            readable, _, _ = select.select([connection], [], [], 0.05)
            if readable:
                try:
                    if connection.recv(1, socket.MSG_PEEK) == b"":
                        break
                except OSError:
                    break
        fault.gave_up.set()
        self.close_connection = True

    def log_message(self, format, *args):
        pass  # keep test output clean


@contextmanager
def running_standin(settings=None, **options):
    """A started stand-in; with pytest-django's `settings`, pointed at by them."""
    standin = SpotifyStandIn(**options).start()
    if settings is not None:
        settings.SPOTIFY_API_URL = standin.api_url
        settings.SPOTIFY_TOKEN_URL = standin.token_url
        settings.SPOTIPY_CLIENT_ID = CLIENT_ID
        settings.SPOTIPY_CLIENT_SECRET = CLIENT_SECRET
        settings.RECCOBEATS_API_URL = standin.reccobeats_url
        settings.SPOTIFY_OEMBED_URL = standin.oembed_url
    try:
        yield standin
    finally:
        standin.stop()
