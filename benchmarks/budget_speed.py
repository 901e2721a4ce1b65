"""How long one rate-limit check (moodsite.budget.TokenBucket.take) costs on
each shared backend: the database's cache table (SQLite file; PostgreSQL when
--postgres URL is given) and Redis (--redis URL).

    .venv/bin/python benchmarks/budget_speed.py [--redis redis://127.0.0.1:6379/0]
        [--postgres postgres://user@127.0.0.1/db] [--takes 2000]

Each backend runs in a fresh Python with the site's settings, one process,
one client, after 50 warm-up takes; prints the median and p95 in ms.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = """
import json, statistics, time, django
django.setup()
from moodsite.budget import TokenBucket
bucket = TokenBucket("bench", rate=1e6, burst=1e6)
for n in range(50):
    bucket.take("warm")
times = []
for n in range({takes}):
    start = time.perf_counter()
    bucket.take(f"client-{{n % 100}}")
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(json.dumps({{"median_ms": statistics.median(times),
                   "p95_ms": times[int(len(times) * 0.95)]}}))
"""


def measure(env, takes):
    full = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "moodsite.settings",
        "HTTPS": "false",
        "SECRET_KEY": os.getenv("SECRET_KEY") or "bench-" + "x1y2z3" * 10,
        **env,
    }
    if "REDIS_URL" not in env:
        full.pop("REDIS_URL", None)
    else:
        full.pop("DATABASE_URL", None)
    if "REDIS_URL" not in env:
        subprocess.run(
            [sys.executable, "manage.py", "createcachetable"],
            cwd=REPO,
            env=full,
            check=True,
        )
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(takes=takes)],
        cwd=REPO,
        env=full,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis")
    parser.add_argument("--postgres")
    parser.add_argument("--takes", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        backends = {
            "database cache (SQLite)": {"DATABASE_URL": f"sqlite:///{folder}/b.sqlite3"}
        }
        if args.postgres:
            backends["database cache (PostgreSQL)"] = {"DATABASE_URL": args.postgres}
        if args.redis:
            backends["Redis"] = {"REDIS_URL": args.redis}
        print(f"{'backend':<30} {'median ms':>10} {'p95 ms':>8}")
        for name, env in backends.items():
            result = measure(env, args.takes)
            print(f"{name:<30} {result['median_ms']:>10.3f} {result['p95_ms']:>8.3f}")


if __name__ == "__main__":
    main()
