"""How different two fresh visits' first songs are, and whether what they are
served is still the model's best (issue 24, point 3).

    .venv/bin/python benchmarks/visit_variety.py [--pairs 200] [--songs N]
        [--no-precision]

Overlap: pairs of fresh visits (a new session each) ask for 8 pages of 6
songs of each mood through the site's own service (recommender.services) on
SQLite: spotify_songs.csv imported and classified by the site's commands, or
--songs synthetic songs. Prints the share of one visit's first 48 songs that
the other also got, mean and p95 over the pairs, and how often a pair started
at the same band (a visit's first 48 are one band: a pair shares all or none).

Served precision: of the first 48 songs a fresh visit gets, the share that
carry the mood's label on moods1.csv, as ml_training/mood/served.py measures
the top 48 (the shipped model, its training songs left out), expected over the
bands a visit may start at and their rank weights (recommender.selection).
Two ways, since moods1's pools are 15-50 times smaller than the site's: with
moods1 as the pool (its start bands reach far deeper into its ranking than
the site's do into the site's), and at the site's depth (each start band of
the site's pool as the same share of moods1's ranking). Writes
benchmarks/results/visit_variety.json.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

FIRST = 48  # 8 pages of 6: what issue 24 compares
PAGE = 6


def setup(database_url):
    os.environ.update(harness.site_environment(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "moodsite.settings"
    sys.path.insert(0, str(harness.REPO))
    import django

    django.setup()


def first_songs(mood):
    """A fresh visit's first FIRST song ids, page by page as the site serves them."""
    from recommender import services

    session, ids = {}, []
    while len(ids) < FIRST:
        page = services.songs_for_mood(mood=mood, session=session, count=PAGE)
        ids += [song.pk for song in page.songs]
    return ids[:FIRST]


def overlap(pairs):
    from recommender import selection

    rows = []
    for mood in harness.MOODS:
        size = selection.pool_size(mood)
        shares, same_start = [], 0
        for _ in range(pairs):
            a, b = first_songs(mood), first_songs(mood)
            shares.append(len(set(a) & set(b)) / FIRST)
            same_start += set(a) == set(b)
        ordered = sorted(shares)
        rows.append(
            {
                "mood": mood,
                "pool": size,
                "start_bands": selection.top_bands(size),
                "mean_overlap_pct": round(100 * statistics.mean(shares), 1),
                "p95_overlap_pct": round(
                    100 * ordered[int(0.95 * (len(ordered) - 1))], 1
                ),
                "same_start_pct": round(100 * same_start / pairs, 1),
            }
        )
    return rows


def precision(site_pools):
    """Top-48 precision and a fresh visit's expected first-48 precision on
    moods1, with moods1 as the pool and at the site's depth (`site_pools`:
    {mood: the site's pool size})."""
    import pandas as pd

    from ml_training.mood import served
    from music.mood import MoodClassifier
    from recommender import selection

    songs = harness.REPO.parent / "shared" / "data" / "songs"
    classifier = MoodClassifier(harness.REPO / "saved_models" / "mood_model.keras")
    trained = [
        pd.read_csv(songs / entry["file"])
        for entry in classifier.metadata.get("data", [])
    ]
    frame, _ = served.served_catalogue(songs / "moods1.csv", trained)
    pools = served.ranked_pools(frame, classifier.predict_proba(frame))
    band = selection.BAND_SIZE
    rows = []
    for mood, pool in pools.items():
        n = len(pool)
        top = selection.top_bands(n)
        own = expected_precision(
            pool, mood, top, lambda b: (b * band, b * band + FIRST), served
        )
        site = site_pools[mood]
        site_top = selection.top_bands(site)
        # The site's band b as the same share of moods1's ranking.
        scale = n / site
        at_site = expected_precision(
            pool,
            mood,
            site_top,
            lambda b, scale=scale: (
                int(b * band * scale),
                max(int((b * band + FIRST) * scale), 1),
            ),
            served,
        )
        top48 = pool.head(FIRST)
        rows.append(
            {
                "mood": mood,
                "moods1_pool": n,
                "top48_precision": round(served.hits(top48, mood) / len(top48), 4),
                "start_bands": top,
                "visit_precision": round(own, 4),
                "site_pool": site,
                "site_start_bands": site_top,
                "visit_precision_at_site_depth": round(at_site, 4),
            }
        )
    return {"model_version": classifier.version, "per_mood": rows}


def expected_precision(pool, mood, top, window, served):
    """Precision of a fresh visit's first songs, expected over its start band:
    `window(band)` is the (start, end) ranks a visit starting there gets."""
    from recommender import selection

    weights = selection.start_weights(top)
    expected = 0.0
    for band, weight in enumerate(weights):
        start, end = window(band)
        first = pool.iloc[start:end]
        if len(first):
            expected += weight / sum(weights) * served.hits(first, mood) / len(first)
    return expected


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--songs", type=int, help="synthetic songs, not the catalogue")
    parser.add_argument("--no-precision", action="store_true")
    args = parser.parse_args()
    with harness.seeded_sqlite(args.songs) as (url, what):
        setup(url)
        print(f"Overlap of two fresh visits' first {FIRST} songs ({what}):")
        rows = overlap(args.pairs)
        harness.print_table(rows, list(rows[0]))
    result = {"pool": what, "pairs": args.pairs, "overlap": rows}
    if not args.no_precision:
        result["precision"] = precision({row["mood"]: row["pool"] for row in rows})
        print("\nServed precision on moods1.csv (top 48 vs a fresh visit's first 48):")
        harness.print_table(
            result["precision"]["per_mood"], list(result["precision"]["per_mood"][0])
        )
    harness.write_json("visit_variety", result)


if __name__ == "__main__":
    main()
