"""manage.py harvest_songs: add songs from Spotify searches and playlists."""

import argparse
import logging
import os

from django.core.management.base import BaseCommand, CommandError

from music import spotify
from music.classification import classify_or_warn
from music.covers import CoverFinder, fill_covers, songs_needing_covers
from music.feature_providers import build_provider
from music.harvest import Harvester
from music.models import HarvestRun

EX_INTERRUPTED = 130


def positive_int(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 1, got {value!r}")
    return number


def positive_float(value):
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {value!r}")
    return number


class Command(BaseCommand):
    help = (
        "Harvest tracks from Spotify searches and playlists into the song pool "
        "(client-credentials flow: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET). "
        "Resumable: a stopped run continues with --resume."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--search",
            action="append",
            default=[],
            metavar="QUERY",
            help="A track search (repeatable).",
        )
        parser.add_argument(
            "--playlist",
            action="append",
            default=[],
            metavar="ID_OR_URL",
            help="A playlist id, spotify:playlist:ID or open.spotify.com URL "
            "(repeatable).",
        )
        parser.add_argument(
            "--limit",
            type=positive_int,
            metavar="N",
            help="Read at most N tracks per source (search stops at 1000 anyway).",
        )
        parser.add_argument(
            "--resume",
            nargs="?",
            const="latest",
            metavar="RUN_ID",
            help="Continue the latest unfinished harvest, or harvest RUN_ID, "
            "with its own sources and limit.",
        )
        parser.add_argument(
            "--timeout",
            type=positive_float,
            default=spotify.DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help="How long to wait for each Spotify answer.",
        )
        parser.add_argument(
            "--no-covers",
            action="store_true",
            help="Skip looking up covers for harvested songs that came without one.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Hide the progress bar."
        )

    def handle(self, *args, **options):
        try:
            client = spotify.build_client(requests_timeout=options["timeout"])
        except spotify.CredentialsMissing as exc:
            raise CommandError(str(exc)) from None
        run = self.get_run(options)
        # We report Spotify errors ourselves; spotipy would log each one again.
        logging.getLogger("spotipy").setLevel(logging.CRITICAL)
        harvester = Harvester(
            run,
            client,
            progress=not options["no_progress"],
            warn=self.warn,
            features=build_provider(spotify_client=client, timeout=options["timeout"]),
        )
        run = harvester.harvest()
        self.report(run, harvester.new_errors)
        if run.state != HarvestRun.INTERRUPTED:
            if not options["no_covers"]:
                self.fill_covers(harvester)
            counts, warning = classify_or_warn()
            self.report_classification(counts, warning)
        self.exit_for(run)

    def warn(self, message):
        self.stderr.write(self.style.WARNING(message))

    def fill_covers(self, harvester):
        """Covers for this run's songs that came without one (oEmbed: no
        Spotify quota spent). A rate limit here only stops the cover step."""
        songs = songs_needing_covers(only=harvester.harvested_ids)
        if not songs.exists():
            return
        finder = CoverFinder(harvester.policy, warn=self.warn)
        outcome = fill_covers(finder, songs)
        self.stdout.write(f"Covers: {outcome.found} found, {outcome.missing} none.")
        for problem in [*outcome.errors, outcome.stopped]:
            if problem:
                self.warn(f"  covers: {problem}; run fill_covers later")

    def get_run(self, options):
        if options["resume"] is not None:
            if options["search"] or options["playlist"] or options["limit"]:
                raise CommandError(
                    "--resume continues a run with its own sources and limit; "
                    "leave out --search, --playlist and --limit."
                )
            return self.run_to_resume(options["resume"])
        try:
            return Harvester.create_run(
                options["search"], options["playlist"], options["limit"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def run_to_resume(self, resume):
        run_id = None
        if resume != "latest":
            if not resume.isdigit():
                raise CommandError(f"--resume takes a harvest run id, got {resume!r}")
            run_id = int(resume)
        try:
            run = Harvester.run_to_resume(run_id)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        index, offset = run.cursor.get("source", 0), run.cursor.get("offset", 0)
        if index < len(run.sources):
            kind, value = run.sources[index]
            where = f"{kind} {value!r} (source {index + 1} of {len(run.sources)})"
            self.stdout.write(
                f"Resuming harvest #{run.pk} at {where}, offset {offset}."
            )
        else:
            self.stdout.write(f"Resuming harvest #{run.pk}: all sources were read.")
        return run

    def report(self, run, errors):
        self.stdout.write(
            f"Harvest #{run.pk} {run.get_state_display().lower()}: "
            f"{run.new_count} new, {run.updated_count} updated, "
            f"{run.unchanged_count} unchanged, "
            f"{run.without_features_count} without features, "
            f"{run.skipped_count} skipped (no track id)."
        )
        if run.state != HarvestRun.FINISHED:
            errors = errors[:-1]  # why it stopped: exit_for says that
        for error in errors:
            self.stderr.write(self.style.WARNING(f"  {error['message']}"))

    def report_classification(self, counts, warning):
        if counts is None:
            self.stdout.write(warning)
        elif any(counts.values()):
            moods = ", ".join(f"{mood} {count}" for mood, count in counts.items())
            self.stdout.write(f"Classified: {moods}.")

    def exit_for(self, run):
        resume = f"manage.py harvest_songs --resume {run.pk}"
        if run.state == HarvestRun.RATE_LIMITED:
            raise CommandError(run.errors[-1]["message"], returncode=os.EX_TEMPFAIL)
        if run.state == HarvestRun.INTERRUPTED:
            raise CommandError(
                f"Interrupted; continue with: {resume}", returncode=EX_INTERRUPTED
            )
        if run.state == HarvestRun.FAILED:
            raise CommandError(f"{run.errors[-1]['message']} Fix that, then: {resume}")
