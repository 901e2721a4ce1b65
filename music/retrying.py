"""The one retry policy for every web API the pool talks to.

Spotify (through spotipy), ReccoBeats and Spotify's oEmbed endpoint (through
requests) all follow the harvester's rules:
- 429: wait Retry-After when it is at most max_retry_after, a few times in a
  row; otherwise stop with RateLimited so the caller can record where to
  resume;
- 5xx, timeouts, connection errors: retry with exponential backoff, then
  RequestFailed;
- other 4xx: RequestFailed at once (status kept, e.g. 403 = not allowed).
"""

import email.utils
import time

import requests
from spotipy import SpotifyException

TRANSIENT_ERRORS = (
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
)


class ApiError(Exception):
    """A non-2xx answer from an API reached with plain requests."""

    def __init__(self, service, status, headers=None):
        super().__init__(f"HTTP {status} from {service}")
        self.service = service
        self.http_status = status
        self.headers = dict(headers or {})


class RateLimited(Exception):
    def __init__(self, retry_after, repeated=False):
        super().__init__(f"asked to wait {retry_after} s")
        self.retry_after = retry_after
        self.repeated = repeated  # short waits, but too many in a row


class RequestFailed(Exception):
    """A request kept failing (5xx, timeouts) or was refused (4xx)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def check(response, service):
    """The response's JSON, or ApiError for a non-2xx status."""
    if not response.ok:
        raise ApiError(service, response.status_code, response.headers)
    return response.json()


def retry_after_seconds(exc, default=1):
    """Seconds a 429 asks us to wait (Retry-After as seconds or an HTTP date)."""
    value = (getattr(exc, "headers", None) or {}).get("Retry-After")
    if value is None:
        return default
    value = str(value).strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0, int(when.timestamp() - time.time()))


def describe(exc):
    if isinstance(exc, SpotifyException):
        return f"HTTP {exc.http_status} from Spotify"
    if isinstance(exc, ApiError):
        return str(exc)
    if isinstance(exc, requests.exceptions.Timeout):
        return "the service did not answer in time"
    return f"could not reach the service ({type(exc).__name__})"


# Per request, for 5xx answers and timeouts; the wait doubles each retry.
MAX_RETRIES = 3
BACKOFF_BASE = 0.5  # seconds
# Short 429 waits in a row before giving up.
MAX_RATE_LIMIT_WAITS = 5


class RetryPolicy:
    def __init__(
        self,
        *,
        max_retry_after,
        sleep=time.sleep,
        warn=lambda message: None,
        max_retries=MAX_RETRIES,
        backoff_base=BACKOFF_BASE,
        max_rate_limit_waits=MAX_RATE_LIMIT_WAITS,
    ):
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.warn = warn
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_rate_limit_waits = max_rate_limit_waits

    def call(self, func, *args, **kwargs):
        failures = rate_limit_waits = 0
        while True:
            try:
                return func(*args, **kwargs)
            except (SpotifyException, ApiError) as exc:
                if exc.http_status == 429:
                    wait = retry_after_seconds(exc)
                    if wait > self.max_retry_after:
                        raise RateLimited(wait) from exc
                    if rate_limit_waits >= self.max_rate_limit_waits:
                        raise RateLimited(wait, repeated=True) from exc
                    rate_limit_waits += 1
                    self.warn(f"Rate limited: waiting {wait} s as asked.")
                    self.sleep(wait)
                    continue
                if exc.http_status < 500:
                    raise RequestFailed(describe(exc), exc.http_status) from exc
                error = exc
            except TRANSIENT_ERRORS as exc:
                error = exc
            failures += 1
            if failures > self.max_retries:
                raise RequestFailed(
                    f"{describe(error)} (gave up after {self.max_retries} retries)"
                ) from error
            self.sleep(self.backoff_base * 2 ** (failures - 1))
