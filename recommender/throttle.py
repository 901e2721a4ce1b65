"""A per-client limit on photo analyses (the upload page and the API share it)."""

import time

from django.conf import settings
from django.core.cache import cache

THROTTLED_MESSAGE = (
    "That's a lot of photos in a short time. Please wait a minute and try again."
)


def current_window():
    """The minute a request falls in (a function, so tests can hold it still)."""
    return int(time.time() // 60)


def allow_analysis(request):
    """Count one analysis for the client; False once it is over the minute's limit.

    The client is its REMOTE_ADDR: behind a proxy, that proxy must set it from
    the real address (X-Forwarded-For is not trusted here: clients can forge it).
    """
    limit = settings.ANALYSES_PER_MINUTE
    if limit <= 0:
        return True
    key = f"moodsite:analyses:{request.META.get('REMOTE_ADDR', '')}:{current_window()}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count <= limit
