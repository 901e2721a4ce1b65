"""The song-pool queries on PostgreSQL at 10k / 100k / 1M songs, with their plans.

    .venv/bin/python benchmarks/pool_query.py [--sizes 10000,100000,1000000]
        [--repeats 30] [--database-url postgres://...]

Starts a throwaway PostgreSQL cluster (as .ci/run does) unless a URL is given,
migrates it, COPYs synthetic songs, and times what a page of "More songs" runs
(recommender/selection.py): reading a chunk of the ranking (CACHED_BANDS
bands) at the top, middle and end of a mood's pool as a visit's walk does
(keyset, after the chunk before) and at the end with a cold cache (OFFSET),
fetching a page's songs by id, counting the pool (only when a visit used it
up; cached), and a connected listener's taste matches (150 artists): looked up
on their first page, then cached ids. Prints median/p95 per query and size
and EXPLAIN ANALYZE of the ranking read; writes benchmarks/results/pool_query.json
(and, with --markdown FOLDER, the table as FOLDER/pool_query.md).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

COLUMNS = ["songs", "query", "median_ms", "p95_ms"]
MOOD = "happy"


def setup_django(database_url):
    os.environ.update(harness.site_environment(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "moodsite.settings"
    # Statements here may run long (COPY of a million rows, EXPLAIN ANALYZE).
    os.environ["DATABASE_STATEMENT_TIMEOUT"] = "0"
    sys.path.insert(0, str(harness.REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(count):
    """Replace the songs with `count` synthetic ones, by COPY."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE music_song RESTART IDENTITY")
        raw = cursor.cursor  # psycopg's own cursor: COPY FROM STDIN
        columns = ", ".join(harness.SONG_COLUMNS)
        with raw.copy(f"COPY music_song ({columns}) FROM STDIN") as copy:
            for row in harness.synthetic_songs(count):
                copy.write_row(row)
        cursor.execute("ANALYZE music_song")


def timed(function, repeats):
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return harness.median_p95(samples)


def measure(count, repeats):
    from django.core.cache import cache

    from music import taste
    from music.models import Song
    from recommender import selection

    pool = selection.ranked_pool(MOOD)
    size = pool.count()
    chunks = -(-size // (selection.BAND_SIZE * selection.CACHED_BANDS))
    places = {"at top": 0, "mid-pool": chunks // 2, "at end": chunks - 1}
    page_ids = [pk for _, _, pk in selection.chunk_query(MOOD, 0)[:6]]

    def read_after(chunk):
        """As a visit's walk reads it: the chunk before was read (its end cached)."""
        if chunk:
            selection._read_chunk(MOOD, chunk - 1)
        return lambda: list(selection.chunk_query(MOOD, chunk))

    def read_cold(chunk):
        def read():
            cache.clear()
            return list(selection.chunk_query(MOOD, chunk))

        return read

    queries = {f"rank chunk {name}": read_after(c) for name, c in places.items()}
    queries["rank chunk at end, cold cache (OFFSET)"] = read_cold(chunks - 1)
    queries["page's songs by id"] = lambda: Song.objects.still_in_pool(page_ids, MOOD)
    queries["count (pool used up)"] = pool.count
    # 150 of the synthetic artists (harness.synthetic_songs), no genres.
    profile = taste.build_profile(
        [{"name": f"Artist {n}"} for n in range(4850, 5000)], []
    )

    def taste_lookup():
        cache.clear()
        return selection._taste_match_ids(MOOD, profile)

    queries["taste matches, first page (artists scan)"] = taste_lookup
    queries["taste matches, later pages (cached)"] = lambda: selection._taste_match_ids(
        MOOD, profile
    )
    rows = []
    for name, query in queries.items():
        median, p95 = timed(query, repeats)
        rows.append({"songs": count, "query": name, "median_ms": median, "p95_ms": p95})
    plans = {}
    for name, chunk in places.items():
        read_after(chunk)
        plans[f"rank chunk {name}"] = selection.chunk_query(MOOD, chunk).explain(
            analyze=True, buffers=True
        )
    plans["page's songs by id"] = (
        Song.objects.filter(pk__in=page_ids)
        .order_by()
        .explain(analyze=True, buffers=True)
    )
    return size, rows, plans


def by_query(rows):
    """One row per query, a "median / p95" column per pool size."""
    table = {}
    for row in rows:
        query = row["query"]
        line = table.setdefault(query, {"query (ms, median / p95)": query})
        line[f"{row['songs']:,} songs"] = f"{row['median_ms']} / {row['p95_ms']}"
    return list(table.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--database-url", help="an existing, empty database")
    harness.add_markdown_option(parser)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    def run(database_url):
        setup_django(database_url)
        rows, plans = [], {}
        for count in sizes:
            started = time.perf_counter()
            fill(count)
            print(f"{count} songs copied in {time.perf_counter() - started:.1f} s")
            mood_size, size_rows, size_plans = measure(count, args.repeats)
            harness.print_table(size_rows, COLUMNS)
            for name, plan in size_plans.items():
                print(f"\nEXPLAIN ANALYZE, {name}, {count} songs ({mood_size} {MOOD}):")
                print(plan)
            print()
            rows += size_rows
            plans[str(count)] = size_plans
        harness.print_table(rows, COLUMNS)
        harness.write_json(
            "pool_query",
            {
                "database": "PostgreSQL (throwaway, fsync off)",
                "rows": rows,
                "plans": plans,
            },
        )
        from django.db import connection

        table = by_query(rows)
        harness.write_markdown(
            args.markdown,
            "pool_query",
            "Song-pool queries on PostgreSQL",
            table,
            list(table[0]),
            notes=f"Synthetic songs copied into PostgreSQL "
            f"{connection.pg_version // 10000}; {args.repeats} timings "
            f"per query, the {MOOD} pool. What a page of *More songs* reads "
            "(`recommender/selection.py`). The plans are in "
            "`benchmarks/results/pool_query.json`.",
        )

    if args.database_url:
        run(args.database_url)
    else:
        with harness.throwaway_postgres() as url:
            run(url)


if __name__ == "__main__":
    main()
