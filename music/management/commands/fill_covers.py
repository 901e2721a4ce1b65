"""manage.py fill_covers: a cover for every song that has none."""

from django.conf import settings
from django.core.management.base import CommandError

from music import spotify
from music.covers import (
    CoverFinder,
    fill_covers,
    songs_needing_covers,
    source_answers,
)
from music.management.commands._fill import FillCommand
from music.retrying import RetryPolicy


class Command(FillCommand):
    command_name = "fill_covers"

    help = (
        "Find covers for songs without one: Spotify's tracks endpoint when Spotify "
        "credentials are set and the app may call it, otherwise Spotify's oEmbed "
        "endpoint (no credentials). Throttled and resumable: run it again after a "
        "stop and it continues with the songs still without a cover."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retry",
            action="store_true",
            help="Ask again for songs that had no cover last time.",
        )
        parser.add_argument("--limit", type=int, metavar="N", help="At most N songs.")
        parser.add_argument(
            "--interval",
            type=float,
            default=0.2,
            metavar="SECONDS",
            help="Pause between requests (default 0.2).",
        )
        parser.add_argument(
            "--oembed-only",
            action="store_true",
            help="Do not use Spotify's API even when credentials are set.",
        )
        parser.add_argument("--timeout", type=float, default=spotify.DEFAULT_TIMEOUT)
        parser.add_argument(
            "--if-reachable",
            action="store_true",
            help="First ask the cover source about one song; if it does not "
            "answer, say so and stop without an error (make run uses this).",
        )
        parser.add_argument(
            "--best-first",
            action="store_true",
            help="Best-ranked songs first (those visitors see first).",
        )
        parser.add_argument(
            "--progress",
            type=int,
            default=0,
            metavar="N",
            help="Print how far it got every N songs.",
        )

    def handle(
        self,
        *args,
        retry,
        limit,
        interval,
        oembed_only,
        timeout,
        if_reachable,
        best_first,
        progress,
        **options,
    ):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if interval < 0:
            raise CommandError("--interval must not be negative")
        policy = RetryPolicy(
            max_retry_after=settings.SPOTIFY_MAX_RETRY_AFTER, warn=self.warn
        )
        client = None
        if not oembed_only:
            try:
                client = spotify.build_client(requests_timeout=timeout)
            except spotify.CredentialsMissing:
                self.stdout.write("No Spotify credentials: using oEmbed.")
        finder = CoverFinder(
            policy, spotify_client=client, interval=interval, warn=self.warn
        )
        songs = songs_needing_covers(retry_checked=retry, best_first=best_first)
        if if_reachable:
            first = songs.values_list("spotify_id", flat=True).first()
            if first is None:
                self.stdout.write("covers: every song has one (or was asked).")
                return
            problem = source_answers(first, timeout=min(timeout, 3.0))
            if problem:
                self.stdout.write(
                    f"covers: the cover source did not answer ({problem}); songs "
                    "show tiles. Run `python manage.py fill_covers` when online."
                )
                return
        outcome = fill_covers(
            finder,
            songs,
            limit=limit,
            progress=self.report if progress else None,
            every=progress or 50,
        )
        self.summarize(
            f"covers: {outcome.found} found, {outcome.missing} without one, "
            f"{len(outcome.errors)} failed batches.",
            outcome,
        )
        self.finish(
            outcome,
            kept="Covers found are stored",
            again="Some covers could not be asked for; run it again.",
        )

    def report(self, done, total, outcome):
        self.stdout.write(
            f"covers: {done} of {total} songs asked, {outcome.found} found.",
        )
        self.stdout.flush()
