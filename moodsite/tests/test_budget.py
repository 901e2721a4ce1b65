"""moodsite.budget: token buckets exact across processes, on each shared backend.

The database's cache table (the default without Redis) and Redis (when
TEST_REDIS_URL names a server, as .ci/run starts one) are both tested with
several processes spending one bucket at once.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache.backends.locmem import LocMemCache

from moodsite.budget import TokenBucket

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.getenv("TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and not os.getenv("REQUIRE_REDIS"),
    reason="TEST_REDIS_URL is not set (.ci/run starts a Redis server)",
)


class FakeClock:
    def __init__(self):
        self.time = 1000.0

    def __call__(self):
        return self.time


def test_a_burst_then_the_rate_then_a_wait_that_says_how_long():
    clock = FakeClock()
    bucket = TokenBucket(
        "t", rate=0.5, burst=3, clock=clock, store=LocMemCache("budget-test", {})
    )
    assert [bucket.take("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.take("a") == pytest.approx(2.0)  # one token every 2 s
    assert bucket.take("b") == 0  # each client has a bucket of its own
    clock.time += 2
    assert bucket.take("a") == 0
    assert bucket.take("a") == pytest.approx(2.0)


def test_a_refused_request_spends_nothing():
    clock = FakeClock()
    bucket = TokenBucket(
        "t", rate=1, burst=1, clock=clock, store=LocMemCache("budget-test-2", {})
    )
    assert bucket.take("a") == 0
    for _ in range(5):
        assert bucket.take("a") == pytest.approx(1.0)
    clock.time += 1
    assert bucket.take("a") == 0


def test_an_unreachable_budget_lets_the_request_by(caplog):
    class Down:
        def add(self, *args):
            raise ConnectionError("cache down")

    assert TokenBucket("t", rate=1, burst=1, store=Down()).take("a") == 0
    assert "not enforced" in caplog.text


def spend_in_processes(env, processes=4, takes=20, burst=30):
    """How many takes, of processes x takes at once, the shared bucket allowed."""
    script = (
        "import django; django.setup()\n"
        "from moodsite.budget import TokenBucket\n"
        f"bucket = TokenBucket('shared', rate=0.001, burst={burst})\n"
        f"print(sum(bucket.take('one-address') == 0 for _ in range({takes})))\n"
    )
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "moodsite.settings",
        "HTTPS": "false",
        **env,
    }
    if "REDIS_URL" not in env:
        base.pop("REDIS_URL", None)
    running = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=base,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    return sum(int(p.communicate(timeout=120)[0].strip()) for p in running)


def test_processes_share_one_budget_in_the_database_cache(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}"}
    subprocess.run(
        [sys.executable, "manage.py", "createcachetable"],
        cwd=ROOT,
        env={**os.environ, "HTTPS": "false", **env},
        check=True,
        timeout=120,
    )
    # Eight processes at once: with SQLite's deferred transactions some of
    # the cache's add() calls failed "database is locked" and were let through.
    assert spend_in_processes(env, processes=8) == 30  # of 160 tried, never 31


@needs_redis
def test_processes_share_one_budget_in_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    assert spend_in_processes({"REDIS_URL": REDIS_URL}) == 30
