"""python manage.py import_songs FILE.csv [FILE2.csv ...]"""

from django.core.management.base import BaseCommand, CommandError

from music.catalogue import FORMATS, UnusableFile, import_catalogue_file
from music.classification import classify_or_warn

ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import songs from catalogue CSV files ("
        + "; ".join(catalogue_format.title for catalogue_format in FORMATS)
        + "), then classify the songs whose mood is unknown or stale."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE.csv")
        parser.add_argument(
            "--no-classify",
            action="store_true",
            help="Only import; run classify_songs later.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Songs written per transaction (default 1000).",
        )

    def handle(self, *args, files, no_classify, batch_size, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        self.verbosity = verbosity
        failures, results = [], []
        for path in files:
            try:
                result = import_catalogue_file(
                    path, batch_size=batch_size, progress=verbosity > 0
                )
            except UnusableFile as exc:
                failures.append(str(exc))
                self.stderr.write(f"error: {exc}")
                continue
            results.append(result)
            self.report(result)
            if result.aborted:
                failures.append(f"{result.source}: {result.aborted}")
        if len(results) > 1:
            self.report_total(results)
        if results and not no_classify:
            self.classify()
        if failures:
            raise CommandError("\n".join(failures))

    def report(self, result):
        self.stdout.write(f"{result.summary()} [{result.format_title}]")
        shown = result.errors if self.verbosity > 1 else result.errors[:ERRORS_SHOWN]
        for error in shown:
            self.stderr.write(f"{result.source} {error}")
        hidden = result.skipped - len(shown)
        if hidden:
            self.stderr.write(
                f"{result.source}: {hidden} more bad rows not listed"
                + (" (run with -v 2 to list more)" if self.verbosity < 2 else "")
            )
        if result.aborted:
            self.stderr.write(f"{result.source}: stopped early: {result.aborted}")

    def report_total(self, results):
        def total(name):
            return sum(getattr(result, name) for result in results)

        self.stdout.write(
            f"total: {total('rows_read')} rows read, {total('new')} new, "
            f"{total('updated')} updated, {total('unchanged')} unchanged, "
            f"{total('skipped')} skipped (bad rows), "
            f"{total('without_features')} without features"
        )

    def classify(self):
        counts, warning = classify_or_warn(progress=self.verbosity > 0)
        if warning:
            self.stderr.write(warning)
        elif counts:
            moods = ", ".join(f"{mood} {count}" for mood, count in counts.items())
            self.stdout.write(f"classified: {moods}")
        else:
            self.stdout.write("classified: no songs needed it")
