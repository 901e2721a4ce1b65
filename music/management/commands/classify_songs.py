"""python manage.py classify_songs [--all]"""

from django.core.management.base import BaseCommand, CommandError

from music.classification import classify_songs
from music.models import Song
from music.mood import MOODS, ModelNotAvailable, MoodClassifier
from music.paging import SONGS_PER_VISIT
from music.pool import mood_pool_sizes


class Command(BaseCommand):
    help = (
        "Sort songs into moods with the mood model. By default only songs with "
        "features that the current model has not classified (new or stale); "
        "--all reclassifies every song with features. Curators' mood overrides "
        "are never changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help="Reclassify every song with features, not only new or stale ones.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=4096,
            help="Songs per model call and transaction (default 4096).",
        )

    def handle(self, *args, all, batch_size, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        classifier = self.load_classifier()
        songs = self.songs_to_classify(classifier, reclassify_all=all)
        counts = classify_songs(
            songs, classifier=classifier, batch_size=batch_size, progress=verbosity > 0
        )
        self.report(classifier, counts, skipped=Song.objects.needing_features().count())

    def load_classifier(self):
        try:
            return MoodClassifier()
        except ModelNotAvailable as exc:
            raise CommandError(str(exc)) from exc

    def songs_to_classify(self, classifier, *, reclassify_all):
        if reclassify_all:
            return Song.objects.filter(has_features=True)
        return Song.objects.needing_classification(classifier.version)

    def report(self, classifier, counts, *, skipped):
        total = sum(counts.values())
        self.stdout.write(f"classified {total} songs with model {classifier.version}")
        for mood in MOODS:
            self.stdout.write(f"  {mood}: {counts.get(mood, 0)}")
        if skipped:
            self.stdout.write(f"skipped {skipped} songs without audio features")
        self.stdout.write("servable songs per mood (one version of each song):")
        threshold = SONGS_PER_VISIT
        for mood, size in mood_pool_sizes().items():
            thin = (
                f"  <- fewer than the {threshold} a visit pages through"
                if size < threshold
                else ""
            )
            self.stdout.write(f"  {mood}: {size}{thin}")
