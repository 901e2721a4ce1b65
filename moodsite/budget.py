"""Token buckets that every worker and server share: the site's rate limits.

A bucket holds up to `burst` tokens and gains `rate` a second; each request
spends one, and is refused (with the seconds until one is back) when none is
left. The state lives in the "budgets" cache (settings.CACHES): Redis when
REDIS_URL is set, else the database's cache table, so several processes, or
several servers, spend from one bucket.

Exact, not approximate: a read-then-write is made atomic by a short lock taken
with cache.add, which both backends do atomically (Redis SET NX; a database
INSERT on the cache table's primary key). If the budget cannot be reached
(the cache or the database is down), the request is let through and a warning
logged: a limit must not take the site down with it.
"""

import logging
import secrets
import time
from contextlib import contextmanager

from django.core.cache import caches

logger = logging.getLogger(__name__)

CACHE_ALIAS = "budgets"
# Longer than any holder keeps it (three cache operations); a holder that died
# frees it after this.
LOCK_SECONDS = 2
# How long a request waits for the lock before it is refused for a moment.
LOCK_WAIT_SECONDS = 1.0


def now():
    """The budgets' clock (tests replace it)."""
    return time.time()


class Busy(Exception):
    """The bucket stayed locked for LOCK_WAIT_SECONDS."""


class TokenBucket:
    def __init__(self, name, *, rate, burst, clock=None, store=None):
        if rate <= 0 or burst < 1:
            raise ValueError("a budget needs rate > 0 and burst >= 1")
        self.name = name
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.store = store

    def take(self, who):
        """Spend one token of `who`'s bucket: 0.0 when allowed, else seconds to wait."""
        store = self.store or caches[CACHE_ALIAS]
        key = f"moodsite:budget:{self.name}:{who}"
        try:
            with _locked(store, key):
                return self._take(store, key)
        except Busy:
            return 1.0
        except Exception as error:  # the cache's own errors vary by backend
            logger.warning("Budget %s unavailable, not enforced: %s", key, error)
            return 0.0

    def _take(self, store, key):
        current = (self.clock or now)()
        tokens, updated = store.get(key) or (self.burst, current)
        tokens = min(self.burst, tokens + max(0.0, current - updated) * self.rate)
        if tokens < 1 - 1e-6:  # (the clock's float rounding is no reason to refuse)
            return (1 - tokens) / self.rate
        store.set(key, (tokens - 1, current), self._expiry())
        return 0.0

    def _expiry(self):
        # By then the bucket has refilled: a missing entry means a full one.
        return int(self.burst / self.rate) + 2


@contextmanager
def _locked(store, key):
    lock, mine = f"{key}:lock", secrets.token_hex(8)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.001
    while not store.add(lock, mine, LOCK_SECONDS):
        if time.monotonic() > deadline:
            raise Busy()
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    try:
        yield
    finally:
        if store.get(lock) == mine:
            store.delete(lock)
