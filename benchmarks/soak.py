"""A soak: the site under steady load for minutes; errors and memory growth.

    .venv/bin/python benchmarks/soak.py [--duration 600] [--connections 16]

gunicorn (2 workers, DEBUG off) on a seeded SQLite pool, as http_load.py sets
it up; wrk keeps `--connections` busy for `--duration` seconds: most on "More
songs" visits, a quarter posting a 640-px face photo. The resident memory of
gunicorn and its workers is sampled every few seconds after a warm-up. Prints
requests, errors, and RSS at the start and end; writes
benchmarks/results/soak.json (and, with --markdown FOLDER, FOLDER/soak.md).
Target: 0 errors, RSS growth <= 10%.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import http_load  # noqa: E402

SAMPLE_EVERY = 5  # seconds
WARM_UP = 20  # seconds of load before the first memory sample counts


def wrk_process(url, script, connections, duration, headers=(), script_args=()):
    threads = max(1, min(connections, 2))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"]
    command += ["--timeout", "10s", "-s", script]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", *script_args]
    return subprocess.Popen(
        command, cwd=harness.WRK_SCRIPTS, stdout=subprocess.PIPE, text=True
    )


def figures(process):
    output, _ = process.communicate()
    line = next(x for x in output.splitlines() if x.startswith("WRK_JSON "))
    return json.loads(line.removeprefix("WRK_JSON "))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=600, help="seconds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--worker-class", default="sync")
    harness.add_markdown_option(parser)
    args = parser.parse_args()
    photo_connections = max(1, args.connections // 4)
    visit_connections = args.connections - photo_connections

    with (
        tempfile.TemporaryDirectory() as folder,
        harness.seeded_sqlite() as (database_url, pool),
        harness.Gunicorn(database_url, worker_class=args.worker_class) as server,
    ):
        photo = http_load.photo_body(folder)
        headers = http_load.csrf_headers(server.url)
        more = f"{server.url}/songs/calm/more/?fragment=1"
        runs = [
            wrk_process(more, "visit.lua", visit_connections, args.duration + WARM_UP),
            wrk_process(
                server.url + "/",
                "photo.lua",
                photo_connections,
                args.duration + WARM_UP,
                headers,
                [str(photo[0]), photo[1]],
            ),
        ]
        print(f"pool: {pool}; {args.connections} connections for {args.duration} s")
        time.sleep(WARM_UP)
        samples = []
        started = time.monotonic()
        while any(run.poll() is None for run in runs):
            seconds = round(time.monotonic() - started)
            rss_mb = server.rss_bytes() / 2**20
            samples.append({"t_s": seconds, "rss_mb": round(rss_mb, 1)})
            print(f"  {seconds:>5} s  RSS {rss_mb:.0f} MB")
            time.sleep(SAMPLE_EVERY)
        visit, upload = (figures(run) for run in runs)

    errors = {
        name: sum(f[k] for k in harness.WRK_ERROR_KINDS)
        for name, f in (("more_songs", visit), ("upload", upload))
    }
    first, last = samples[0]["rss_mb"], samples[-1]["rss_mb"]
    summary = {
        "duration_s": args.duration,
        "connections": args.connections,
        "requests": {"more_songs": visit["requests"], "upload": upload["requests"]},
        "errors": errors,
        "rss_start_mb": round(first, 1),
        "rss_end_mb": round(last, 1),
        "rss_growth_pct": round(100 * (last - first) / first, 1),
        "p95_ms": {
            "more_songs": visit["p95_us"] / 1000,
            "upload": upload["p95_us"] / 1000,
        },
    }
    print()
    for key, value in summary.items():
        print(f"{key:>15}: {value}")
    harness.write_json("soak", {"pool": pool, **summary, "samples": samples})
    harness.write_markdown(
        args.markdown,
        "soak",
        f"Soak: {args.duration} s at {args.connections} connections",
        [{"figure": key, "value": value} for key, value in summary.items()],
        ["figure", "value"],
        notes=f"gunicorn (2 {args.worker_class} workers, DEBUG off) on {pool}; "
        f"{visit_connections} connections page through *More songs* visits, "
        f"{photo_connections} post a 640-px face photo. RSS is gunicorn's master "
        f"and workers, sampled every {SAMPLE_EVERY} s after a {WARM_UP} s warm-up. "
        "Target: 0 errors, RSS growth ≤ 10%.",
    )


if __name__ == "__main__":
    main()
