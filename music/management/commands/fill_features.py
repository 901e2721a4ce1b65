"""manage.py fill_features: audio features for songs that have none."""

from django.conf import settings
from django.core.management.base import CommandError

from music import spotify
from music.classification import classify_or_warn
from music.feature_providers import (
    PROVIDERS,
    build_provider,
    fill_features,
    songs_needing_features,
)
from music.management.commands._fill import FillCommand
from music.retrying import RetryPolicy


class Command(FillCommand):
    command_name = "fill_features"

    help = (
        "Ask the features provider (FEATURES_PROVIDER, or --provider) for the audio "
        "features of songs that have none, store them batch by batch, then classify "
        "the songs that need it. Resumable: run it again after a stop."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--provider", choices=PROVIDERS[1:], help="Override FEATURES_PROVIDER."
        )
        parser.add_argument(
            "--retry",
            action="store_true",
            help="Ask again for songs the provider did not know last time.",
        )
        parser.add_argument("--limit", type=int, metavar="N", help="At most N songs.")
        parser.add_argument("--timeout", type=float, default=spotify.DEFAULT_TIMEOUT)
        parser.add_argument("--no-classify", action="store_true")

    def handle(self, *args, provider, retry, limit, timeout, no_classify, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        try:
            features = build_provider(provider, timeout=timeout)
        except spotify.CredentialsMissing as exc:
            raise CommandError(str(exc)) from None
        if features is None:
            raise CommandError(
                "FEATURES_PROVIDER is none: set it to reccobeats or spotify, "
                "or pass --provider."
            )
        policy = RetryPolicy(
            max_retry_after=settings.SPOTIFY_MAX_RETRY_AFTER, warn=self.warn
        )
        songs = songs_needing_features(retry_checked=retry)
        outcome = fill_features(features, policy, songs, limit=limit)
        self.summarize(
            f"{features.name}: features for {outcome.found} songs, "
            f"{outcome.missing} unknown to it, {len(outcome.errors)} failed batches.",
            outcome,
        )
        if not no_classify and outcome.found:
            counts, warning = classify_or_warn()
            if warning:
                self.warn(warning)
            else:
                moods = ", ".join(f"{mood} {count}" for mood, count in counts.items())
                self.stdout.write(f"classified: {moods}")
        self.finish(
            outcome,
            kept="What was found is stored",
            again="Some songs could not be asked about; run it again later.",
        )
