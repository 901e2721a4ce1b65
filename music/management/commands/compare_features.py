"""manage.py compare_features: how far a provider's features are from the
catalogue's, on songs that have both, and whether the mood model notices."""

import json
import random

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from music import spotify
from music.enrichment import Outcome
from music.feature_providers import (
    PROVIDERS,
    build_provider,
    fetch_batches,
)
from music.features import REQUIRED_FEATURES
from music.models import CATALOGUE, Song
from music.mood import ModelNotAvailable, MoodClassifier
from music.retrying import RateLimited, RetryPolicy


class Command(BaseCommand):
    help = (
        "Ask the features provider about a sample of songs whose features came "
        "from an imported catalogue and compare: per feature the mean absolute "
        "difference, the mean difference (bias) and the correlation; and how often "
        "the mood model gives the same mood on both. Stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=PROVIDERS[1:], default="reccobeats")
        parser.add_argument("--sample", type=int, default=400, metavar="N")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--json",
            dest="json_path",
            metavar="PATH",
            help="Also write the figures here.",
        )
        parser.add_argument("--timeout", type=float, default=spotify.DEFAULT_TIMEOUT)

    def handle(self, *args, provider, sample, seed, json_path, timeout, **options):
        if sample < 1:
            raise CommandError("--sample must be at least 1")
        source = build_provider(provider, timeout=timeout)
        ids = list(
            Song.objects.filter(has_features=True, feature_source=CATALOGUE)
            .order_by("pk")
            .values_list("spotify_id", flat=True)
        )
        if not ids:
            raise CommandError("No songs with catalogue features: import a catalogue.")
        ids = random.Random(seed).sample(ids, min(sample, len(ids)))
        theirs = self.fetch(source, ids)
        if not theirs:
            raise CommandError(f"{provider} knew none of the {len(ids)} songs asked.")
        report = compare(ids, theirs)
        report["provider"] = provider
        self.print_report(report)
        if json_path:
            with open(json_path, "w", encoding="utf-8") as file:
                file.write(dumps(report))

    def fetch(self, source, ids):
        policy = RetryPolicy(
            max_retry_after=settings.SPOTIFY_MAX_RETRY_AFTER,
            warn=lambda m: self.stderr.write(m),
        )
        outcome, found = Outcome(), {}
        try:
            for _, features in fetch_batches(source, policy, ids, outcome):
                found.update(features)
        except RateLimited as exc:
            self.stderr.write(f"rate limited ({exc}); comparing what came back")
        for problem in [*outcome.errors, outcome.refused]:
            if problem:
                self.stderr.write(problem)
        return found

    def print_report(self, report):
        self.stdout.write(
            f"{report['provider']} vs catalogue: {report['compared']} of "
            f"{report['asked']} songs known to it"
        )
        self.stdout.write(f"{'feature':<18}{'mean |diff|':>12}{'bias':>10}{'r':>8}")
        for name, row in report["features"].items():
            self.stdout.write(
                f"{name:<18}{row['mean_abs_diff']:>12.4f}{row['bias']:>10.4f}"
                f"{row['pearson_r']:>8.3f}"
            )
        agreement = report.get("mood_agreement")
        if agreement is None:
            self.stdout.write("mood agreement: no mood model here")
        else:
            self.stdout.write(f"mood agreement (same predicted mood): {agreement:.1%}")


def compare(ids, theirs):
    known = [i for i in ids if i in theirs]
    songs = {
        row["spotify_id"]: row
        for row in Song.objects.filter(spotify_id__in=known).values(
            "spotify_id", *REQUIRED_FEATURES, "duration_ms", "key", "mode"
        )
    }
    ours = pd.DataFrame([songs[i] for i in known])
    other = pd.DataFrame([{**songs[i], **theirs[i]} for i in known])
    features = {}
    for name in REQUIRED_FEATURES:
        a, b = ours[name].astype(float), other[name].astype(float)
        r = (
            np.corrcoef(a, b)[0, 1]
            if len(a) > 1 and a.std() and b.std()
            else float("nan")
        )
        features[name] = {
            "mean_abs_diff": round(float((b - a).abs().mean()), 4),
            "bias": round(float((b - a).mean()), 4),
            "pearson_r": round(float(r), 4),
        }
    report = {"asked": len(ids), "compared": len(known), "features": features}
    try:
        classifier = MoodClassifier()
    except ModelNotAvailable:
        report["mood_agreement"] = None
        return report
    same = classifier.predict(ours) == classifier.predict(other)
    report["mood_agreement"] = round(float(np.mean(same)), 4)
    report["mood_model_version"] = classifier.version
    return report


def dumps(report):
    return json.dumps(report, indent=2, sort_keys=True, allow_nan=True) + "\n"
