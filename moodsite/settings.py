"""moodsite settings: one module, every knob read from the environment.

The defaults are production's: DEBUG off, HTTPS only, a SECRET_KEY required.
`make run` asks for DEBUG (and with it plain HTTP and a dev key); production
sets SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL. docs/configuration.md lists them all.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from moodsite.database import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent
# The project's data sets (FER2013, CK+, scenes, songs) live beside the
# repository, never in it: training, checks and benchmarks read them here.
SHARED_DATA_DIR = Path(
    os.environ.get("SHARED_DATA_DIR", BASE_DIR.parent / "shared" / "data")
)


def envbool(name, default):
    value = os.getenv(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}")


def envint(name, default):
    value = os.getenv(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an integer, got {value!r}"
        ) from None


def envlist(name, default):
    value = os.getenv(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def weak_secret_key(key):
    """Django's own test (check security.W009): short, repetitive or a dev key."""
    return (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    )


# Off unless asked for: a debug page shows settings and tracebacks to anyone.
DEBUG = envbool("DEBUG", False)
DEV_SECRET_KEY = f"{SECRET_KEY_INSECURE_PREFIX}dev-only-set-SECRET_KEY-in-production"
SECRET_KEY = os.getenv("SECRET_KEY") or DEV_SECRET_KEY
if not DEBUG and weak_secret_key(SECRET_KEY):
    raise ImproperlyConfigured(
        f"SECRET_KEY is missing or weak: with DEBUG off it must be at least "
        f"{SECRET_KEY_MIN_LENGTH} characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} "
        f"of them different, not starting {SECRET_KEY_INSECURE_PREFIX!r}. Make "
        f'one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# HTTPS: on by default without DEBUG (redirect plain HTTP, Secure cookies, HSTS).
# HTTPS=false serves plain HTTP (make run, the benchmarks and tests on loopback);
# each part can still be set on its own.
HTTPS = envbool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", HTTPS)
# Load balancers probe the health check over plain HTTP: it answers, not 301s.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# Preloading is a promise to browsers that is slow to take back: opt in.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Behind a proxy that terminates TLS, the header it sets, e.g. X-Forwarded-Proto.
# Only set it when the proxy always sets (or strips) that header.
if os.getenv("SECURE_PROXY_SSL_HEADER"):
    _header = os.environ["SECURE_PROXY_SSL_HEADER"].upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{_header}", "https")

# Content-Security-Policy (django-csp): scripts and styles only from this site's
# own files (the templates have no inline <script> or <style>), the Spotify
# player's iframe, covers from Spotify's image hosts (any https: covers may come
# from several CDNs), photo previews as data: URLs and webcam snapshots as
# blob: URLs. Inline style *attributes* stay allowed: the result page places
# face boxes and bars with them, and they cannot run code. The webcam needs no
# directive (getUserMedia is governed by Permissions-Policy, not CSP).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", "https:"],
        "media-src": [SELF, "blob:"],
        "frame-src": ["https://open.spotify.com"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "faces",
    "music",
    "recommender",
    "ml_training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "moodsite.middleware.RequestSizeLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Innermost, so it sees a view's database errors before anything else.
    "moodsite.middleware.DatabaseOutageMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "moodsite.urls"
WSGI_APPLICATION = "moodsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "moodsite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# A database that hangs must not hang the site: connecting gives up after
# DATABASE_CONNECT_TIMEOUT seconds, a PostgreSQL statement after
# DATABASE_STATEMENT_TIMEOUT milliseconds (0: none, e.g. for a long migration),
# and the visitor gets a 503 page (moodsite.middleware).
DATABASES = {
    "default": database_settings(
        os.getenv("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        connect_timeout=envint("DATABASE_CONNECT_TIMEOUT", 3),
        statement_timeout_ms=envint("DATABASE_STATEMENT_TIMEOUT", 5000),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The admin sign-in is throttled (django-axes): ADMIN_LOGIN_FAILURE_LIMIT wrong
# passwords for one account (from any address), or from one address (for any
# account), and that account or address is refused with a 429 for
# ADMIN_LOGIN_COOLOFF_MINUTES, the right password included. Guessing on during
# the cool-off starts it again. Attempts are kept in the database (admin: Axes).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("ADMIN_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin_locked.html"
# The address is the client's, as for the site's other limits (moodsite/clients.py).
AXES_CLIENT_IP_CALLABLE = "moodsite.clients.client_ip"
# Balancers in front (addresses or networks, e.g. "10.0.0.5,10.0.1.0/24"):
# from them, the client is the address they put in X-Forwarded-For
# (moodsite/clients.py). Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network"
        ) from None

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

# Sessions live in a signed cookie: an anonymous visit writes no database row,
# and what it keeps (the last reading, a seed and a position per mood:
# recommender/visit.py) stays a few hundred bytes however long the visit.
# Under /api/ a refused request is JSON like every API answer (moodsite.errors).
CSRF_FAILURE_VIEW = "moodsite.errors.csrf_failure"
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 14 * 24 * 3600)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "moodsite" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Photos are analysed in memory and never written to disk: keep uploads up to
# the accepted size in memory (larger ones are refused by the form anyway).
MAX_UPLOAD_BYTES = envint("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
MAX_IMAGE_PIXELS = envint("MAX_IMAGE_PIXELS", 40_000_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
# A whole request body, refused with a 413 from its Content-Length before it is
# read (moodsite.middleware): one photo and its form. Signed-in staff may send
# more (the admin's catalogue CSVs). One file per request: a second file part
# is a 400 before its bytes are kept.
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", MAX_UPLOAD_BYTES + 256 * 1024)
ADMIN_MAX_REQUEST_BYTES = envint("ADMIN_MAX_REQUEST_BYTES", 100 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 1
# Photos being decoded at once per process (each may hold up to ~160 MB while
# it decodes), and how long an upload waits for a turn before "busy, try again".
MAX_CONCURRENT_DECODES = envint("MAX_CONCURRENT_DECODES", 2)
DECODE_WAIT_SECONDS = envint("DECODE_WAIT_SECONDS", 10)
# Photos never go to a temporary file: see faces/uploads.py.
FILE_UPLOAD_HANDLERS = [
    "faces.uploads.PhotoUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Threads per worker process, levers for benchmarks/peer_speed.py to measure:
# LiteRT's per model run (0: the model's own default, faces.classifier and
# faces.scene) and OpenCV's (face detection; -1: OpenCV's default, one per core;
# 0 or 1: none besides the caller).
LITERT_THREADS = envint("LITERT_THREADS", 0)
OPENCV_THREADS = envint("OPENCV_THREADS", -1)

# Where the trained models live; the runtime classes read them from here.
MODELS_DIR = Path(os.getenv("MODELS_DIR") or BASE_DIR / "saved_models")
# Serve emotion_model.keras when the .tflite is missing. Off: it loads
# TensorFlow into every worker (728 MB instead of 165 MB), so a missing .tflite
# is reported (503, /healthz) instead.
EMOTION_MODEL_KERAS_FALLBACK = envbool("EMOTION_MODEL_KERAS_FALLBACK", False)

# How many songs one page of recommendations shows.
SONGS_PER_PAGE = envint("SONGS_PER_PAGE", 6)
# How long a photo's reading (faces, probabilities; never the photo) and its
# result URL live. Older readings are never shown, and are deleted on the next
# upload (and by `manage.py purge_readings`).
READING_TTL_SECONDS = envint("READING_TTL_SECONDS", 24 * 3600)
# Photo analyses one client (by IP address) may ask for per minute, on the
# upload page and the API together (a token bucket: bursts of this many, then
# one every 60/N seconds); more get HTTP 429 with Retry-After. 0: no limit.
ANALYSES_PER_MINUTE = envint("ANALYSES_PER_MINUTE", 30)
# Face readings of any kind (photos and live frames together) one address may
# ask for: this many a second on average, in bursts of ADDRESS_READINGS_BURST.
# Rotating visitor cookies gets no more than this. 0: no limit.
ADDRESS_READINGS_PER_SECOND = envint("ADDRESS_READINGS_PER_SECOND", 10)
ADDRESS_READINGS_BURST = envint("ADDRESS_READINGS_BURST", 30)

# Live camera (recommender/live.py): each visitor may send this many frames a
# second on average, in bursts of up to LIVE_FRAME_BURST; the songs follow a
# new mood once it has held for LIVE_MOOD_HOLD_SECONDS.
LIVE_FRAMES_PER_SECOND = envint("LIVE_FRAMES_PER_SECOND", 5)
LIVE_FRAME_BURST = envint("LIVE_FRAME_BURST", 10)
LIVE_MOOD_HOLD_SECONDS = envint("LIVE_MOOD_HOLD_SECONDS", 3)
# The budgets above (moodsite.budget) live in the "budgets" cache, which every
# worker and server must share for them to be exact: Redis when REDIS_URL is
# set (e.g. redis://127.0.0.1:6379/0), else the database's cache table
# (`manage.py createcachetable`, run by `make migrate`). With Redis the
# song pool's cache ("default") is shared too; without, each worker keeps its own.
REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that hangs must not hang the site (budgets then let requests by).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    CACHES = {"default": _redis, "budgets": _redis}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "budgets": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "moodsite_cache",
            # Past this many rows Django drops expired ones, then a third of
            # the rest: a dropped bucket is a full one, so keep it well above
            # the number of clients in a few minutes (300 by default).
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
    }
# How long a worker reuses a band of the ranked pool (recommender/selection.py)
# before ranking it again: the longest a pool change takes to show (0: never cache).
SONG_POOL_CACHE_SECONDS = envint("SONG_POOL_CACHE_SECONDS", 60)

SPOTIPY_CLIENT_ID = os.getenv("SPOTIPY_CLIENT_ID", "")
SPOTIPY_CLIENT_SECRET = os.getenv("SPOTIPY_CLIENT_SECRET", "")
# Overridable so tests can point the real spotipy client at a stand-in on 127.0.0.1.
SPOTIFY_API_URL = os.getenv("SPOTIFY_API_URL", "https://api.spotify.com/v1/")
SPOTIFY_TOKEN_URL = os.getenv(
    "SPOTIFY_TOKEN_URL", "https://accounts.spotify.com/api/token"
)
# The longest Retry-After a harvest waits out before stopping with a resumable state.
SPOTIFY_MAX_RETRY_AFTER = envint("SPOTIFY_MAX_RETRY_AFTER", 60)
# The listener's own Spotify (music.spotify_account): the PKCE sign-in needs only
# the client id. The redirect URI must be registered with the app exactly; empty
# means this site's /spotify/callback/ as the request reached it (Spotify
# accepts http only on a loopback IP such as 127.0.0.1, never "localhost").
SPOTIFY_REDIRECT_URI = os.getenv("SPOTIFY_REDIRECT_URI", "")
# A new Spotify app is in development mode (only listeners its owner added may
# connect); the Connect card says so until this is set false after Spotify's
# extended-quota review.
SPOTIFY_DEVELOPMENT_MODE = envbool("SPOTIFY_DEVELOPMENT_MODE", True)
SPOTIFY_ACCOUNTS_URL = os.getenv(
    "SPOTIFY_ACCOUNTS_URL", "https://accounts.spotify.com/"
)
# Seconds a page waits for Spotify before telling the listener to try later.
SPOTIFY_ACCOUNT_TIMEOUT = envint("SPOTIFY_ACCOUNT_TIMEOUT", 5)
# Who describes songs that arrive without audio features (harvest, fill_features):
# "reccobeats" (free, keyless; Spotify's own endpoint answers 403 to apps
# registered since 2024-11-27), "spotify", or "none" (music.feature_providers.
# PROVIDERS; a system check refuses any other name).
FEATURES_PROVIDER = os.getenv("FEATURES_PROVIDER", "reccobeats")
RECCOBEATS_API_URL = os.getenv("RECCOBEATS_API_URL", "https://api.reccobeats.com/v1/")
# Covers for songs without one, no credentials needed (fill_covers).
SPOTIFY_OEMBED_URL = os.getenv("SPOTIFY_OEMBED_URL", "https://open.spotify.com/oembed")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
}
