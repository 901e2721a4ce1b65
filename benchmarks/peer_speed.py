"""moodsite's photo API against the peer app, same machine, same gunicorn, one run.

    .venv/bin/python benchmarks/peer_speed.py [--workers 2] [--worker-class sync]
        [--threads 4] [--opencv-threads N] [--litert-threads N]
        [--concurrency 1,8] [--duration 10] [--songs N] [--json PATH]

moodsite's `POST /api/v1/analyze` and the peer (benchmarks/peer_app.py:
cv2.imdecode + fer's FER().detect_emotions) each serve the astronaut at 640 px
under gunicorn with the same workers, worker class and thread settings, one
after the other; wrk posts the photo at each concurrency. Prints req/s, median
and p95 for each, moodsite's req/s over the peer's at each concurrency, and
issue 23's target: at least 2.5× the peer at c=8 with moodsite's p95 at c=8
within twice its median at c=1.

The levers: --workers (per core: divide by the machine's cores), gunicorn's
--worker-class (sync or gthread, with --threads), and per worker process
--opencv-threads (both apps; OPENCV_THREADS) and --litert-threads (moodsite's
models; LITERT_THREADS). Unset, each library keeps its own default.
A comma list for --workers or --worker-class runs every combination.
Figures are only worth keeping on an otherwise idle machine.
"""

import argparse
import itertools
import json
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import http_load  # noqa: E402

APPS = {  # name: (WSGI application, path the photo is posted to)
    "moodsite": ("moodsite.wsgi", "/api/v1/analyze"),
    "peer": ("benchmarks.peer_app:application", "/"),
}
TARGET_RATIO, TARGET_TAIL = 2.5, 2.0
COLUMNS = ["app", "server", "connections", "req_per_s", "p50_ms", "p95_ms"]
COLUMNS += ["errors"]


def lever_environment(args):
    env = {}
    if args.opencv_threads is not None:
        env["OPENCV_THREADS"] = str(args.opencv_threads)
    if args.litert_threads is not None:
        env["LITERT_THREADS"] = str(args.litert_threads)
    return env


def faces_found(url, photo):
    """POST the photo once: how many faces the app answers with (a run where
    one app finds the face and the other does not compares different work)."""
    request = urllib.request.Request(
        url, data=photo[0].read_bytes(), headers={"Content-Type": photo[1]}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return len(json.load(response)["faces"])


def measure(app, database_url, photo, args, *, workers, worker_class):
    """wrk rows for one app under one gunicorn setting."""
    application, path = APPS[app]
    threads = args.threads if worker_class == "gthread" else 1
    with harness.Gunicorn(
        database_url,
        workers=workers,
        worker_class=worker_class,
        threads=threads,
        app=application,
        env=lever_environment(args),
    ) as server:
        plan = (server.url + path, "photo.lua")
        if faces_found(plan[0], photo) != 1:
            raise SystemExit(f"{app} did not find the astronaut's one face")
        options = {"script_args": [str(photo[0]), photo[1]]}
        # Warm up: every worker loads its models.
        harness.wrk(*plan, connections=2 * workers, duration=2, **options)
        rows = []
        for connections in args.concurrency:
            row = harness.wrk(
                *plan, connections=connections, duration=args.duration, **options
            )
            rows.append(row | {"app": app, "server": server.label})
            harness.print_table(rows[-1:], COLUMNS)
    return rows


def compare(rows):
    """Per gunicorn setting and concurrency: moodsite's req/s over the peer's,
    and whether issue 23's target holds."""
    by_key = {(r["server"], r["app"], r["connections"]): r for r in rows}
    verdicts = []
    for server in dict.fromkeys(r["server"] for r in rows):
        line = {"server": server, "ratios": {}}
        for connections in sorted({r["connections"] for r in rows}):
            ours = by_key.get((server, "moodsite", connections))
            theirs = by_key.get((server, "peer", connections))
            if ours and theirs and theirs["req_per_s"]:
                ratio = ours["req_per_s"] / theirs["req_per_s"]
                line["ratios"][connections] = round(ratio, 2)
        at_8 = by_key.get((server, "moodsite", 8))
        at_1 = by_key.get((server, "moodsite", 1))
        if at_8 and at_1 and 8 in line["ratios"]:
            line["target_met"] = (
                line["ratios"][8] >= TARGET_RATIO
                and at_8["p95_ms"] <= TARGET_TAIL * at_1["p50_ms"]
                and not (at_8["errors"] or at_1["errors"])
            )
        verdicts.append(line)
    return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="2", help="comma list")
    parser.add_argument("--worker-class", default="sync", help="comma list")
    parser.add_argument("--threads", type=int, default=4, help="for gthread")
    parser.add_argument("--opencv-threads", type=int)
    parser.add_argument("--litert-threads", type=int)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--songs", type=int, help="synthetic songs, not the CSV")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    settings = list(
        itertools.product(
            [int(w) for w in args.workers.split(",")], args.worker_class.split(",")
        )
    )

    rows = []
    with (
        tempfile.TemporaryDirectory() as folder,
        harness.seeded_sqlite(args.songs) as (database_url, pool),
    ):
        photo = http_load.photo_body(folder, field="image")
        print(f"{harness.machine()}; pool: {pool}; {args.duration} s per run")
        print(f"levers: {lever_environment(args) or 'library defaults'}")
        for workers, worker_class in settings:
            for app in APPS:
                rows += measure(
                    app, database_url, photo, args,
                    workers=workers, worker_class=worker_class,
                )  # fmt: skip
    print()
    harness.print_table(rows, COLUMNS)
    verdicts = compare(rows)
    print()
    for line in verdicts:
        ratios = ", ".join(f"c={c}: {r}×" for c, r in line["ratios"].items())
        target = {True: "met", False: "not met"}.get(line.get("target_met"), "n/a")
        print(f"{line['server']}: moodsite / peer req/s {ratios}; target {target}")
    if args.json:
        payload = {
            "machine": harness.machine(),
            "pool": pool,
            "duration_s": args.duration,
            "levers": lever_environment(args),
            "runs": rows,
            "verdicts": verdicts,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
