"""How the song pool's paging queries and version refresh scale on SQLite: a
synthetic pool of N songs (default 1,000,000) in a throwaway file, timed with
and without the `song_paging` index (benchmarks/pool_query.py: PostgreSQL).

    .venv/bin/python benchmarks/song_pool_scale.py [--songs 1000000] [--json out.json]
        [--markdown FOLDER]

Prints median and p95 per query and writes them as JSON (and as a Markdown
table, FOLDER/song_pool_scale.md). The pool: four moods,
random scores, one song in five a second version of another (same title and
artist), 1% excluded, 2% overrides, 3% without features.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


def setup(database):
    os.environ.update(harness.site_environment(f"sqlite:///{database}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moodsite.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "music", verbosity=0)


def fill(n, seed=0):
    import numpy as np
    from django.db import transaction

    from moodsite.testing import PLAIN_FEATURES, spotify_id
    from music.models import Song
    from music.moods import MOODS
    from music.versions import version_key

    rng = np.random.default_rng(seed)
    moods = rng.choice(MOODS, n)
    scores, confidences = rng.random(n), rng.random(n)
    titles = np.arange(n)
    duplicate = rng.random(n) < 0.2
    titles[duplicate] = rng.integers(0, n, duplicate.sum())
    excluded, override = rng.random(n) < 0.01, rng.random(n) < 0.02
    featureless = rng.random(n) < 0.03
    batch = []
    with transaction.atomic():
        for i in range(n):
            name, artists = f"Song {titles[i]}", f"Artist {titles[i] % 50_000}"
            features = {} if featureless[i] else PLAIN_FEATURES
            batch.append(
                Song(
                    spotify_id=spotify_id(i),
                    name=name,
                    artists=artists,
                    version_key=version_key(name, artists),
                    has_features=not featureless[i],
                    predicted_mood=moods[i],
                    mood_override=moods[(i + 1) % n] if override[i] else "",
                    mood_score=scores[i],
                    mood_confidence=confidences[i],
                    excluded=excluded[i],
                    **features,
                )
            )
            if len(batch) == 20_000:
                Song.objects.bulk_create(batch)
                batch = []
        Song.objects.bulk_create(batch)


def timed(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 2),
        "runs": repeat,
    }


def measure(repeat, label):
    """What a page of "More songs" reads (recommender/selection.py), timed."""
    from django.core.cache import cache
    from django.db import connection

    from music.models import Song
    from music.services import refresh_primary_versions
    from recommender import selection

    chunks = -(
        -selection.pool_size("happy") // (selection.BAND_SIZE * selection.CACHED_BANDS)
    )
    last = chunks - 1
    page_ids = [pk for _, _, pk in selection.chunk_query("happy", 0)[:6]]

    def chunk_after(chunk):
        if chunk:  # a visit's walk read the chunk before (a small pool has one)
            selection._read_chunk("happy", chunk - 1)
        return lambda: list(selection.chunk_query("happy", chunk))

    def chunk_cold(chunk):
        def read():
            cache.clear()
            return list(selection.chunk_query("happy", chunk))

        return read

    results = {
        "rank chunk at top": timed(chunk_cold(0), repeat),
        "rank chunk at end (keyset)": timed(chunk_after(last), repeat),
        "rank chunk at end, cold cache (OFFSET)": timed(chunk_cold(last), repeat),
        "page's songs by id": timed(
            lambda: Song.objects.still_in_pool(page_ids, "happy"), repeat
        ),
        "pool size (count)": timed(
            lambda: Song.objects.recommendable().in_mood("happy").count(), repeat
        ),
        "refresh one version key": timed(
            lambda: refresh_primary_versions(version_keys=["song 1|artist 1"]), repeat
        ),
    }
    sql, params = selection.chunk_query("happy", 0).query.sql_with_params()
    with connection.cursor() as cursor:
        # A comment makes the text new, so no cached statement's plan is shown.
        cursor.execute(f"EXPLAIN QUERY PLAN /* {label} */ {sql}", params)
        results["plan"] = " / ".join(row[-1] for row in cursor.fetchall())
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path)
    harness.add_markdown_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        setup(Path(directory) / "pool.sqlite3")
        from django.db import connection

        from music.services import refresh_primary_versions

        start = time.perf_counter()
        fill(args.songs)
        filled = time.perf_counter() - start
        start = time.perf_counter()
        shadowed = refresh_primary_versions()
        refresh = time.perf_counter() - start
        start = time.perf_counter()
        refresh_primary_versions()
        refresh_again = time.perf_counter() - start
        report = {
            "songs": args.songs,
            "repeat": args.repeat,
            "fill_s": round(filled, 1),
            "full refresh_primary_versions_s": round(refresh, 2),
            "rows made non-primary": shadowed,
            "second full refresh (no change)_s": round(refresh_again, 2),
            "with song_paging index": measure(args.repeat, "with"),
        }
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX song_paging")
        report["without song_paging index"] = measure(args.repeat, "without")
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(args.markdown, report)


def write_markdown(folder, report):
    with_index = report["with song_paging index"]
    without = report["without song_paging index"]
    rows = [
        {
            "query": query,
            "with `song_paging`": f"{figures['median_ms']} / {figures['p95_ms']}",
            "without": f"{without[query]['median_ms']} / {without[query]['p95_ms']}",
        }
        for query, figures in with_index.items()
        if query != "plan"
    ]
    harness.write_markdown(
        folder,
        "song_pool_scale",
        f"The song pool's queries on SQLite, {report['songs']:,} songs",
        rows,
        ["query", "with `song_paging`", "without"],
        notes=f"Milliseconds, median / p95 of {report['repeat']} timings, the "
        f"happy pool of a synthetic pool filled in {report['fill_s']} s. "
        "Re-picking every version (`refresh_primary_versions()`): "
        f"{report['full refresh_primary_versions_s']} s "
        f"({report['rows made non-primary']:,} songs made other versions), "
        f"{report['second full refresh (no change)_s']} s when nothing changes.\n\n"
        f"Plan with the index: `{with_index['plan']}`; without: `{without['plan']}`.",
    )


if __name__ == "__main__":
    main()
