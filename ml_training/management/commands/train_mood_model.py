"""`python manage.py train_mood_model`: cross-validate, fit and ship the mood model."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SONGS_DATA = settings.SHARED_DATA_DIR / "songs"


class Command(BaseCommand):
    help = (
        "Train the song mood model on labelled catalogue CSVs: stratified k-fold "
        "CV (every preprocessing step fitted inside the folds), a check on a "
        "catalogue it never trained on, then a fit on all rows, saved to "
        "mood_model.keras, mood_model.json and mood_confusion.png."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data",
            type=Path,
            default=SONGS_DATA / "data_moods.csv",
            help="Labelled training CSV (default: %(default)s).",
        )
        parser.add_argument(
            "--extra",
            type=Path,
            nargs="*",
            default=[],
            help="More labelled CSVs added to every training fold (never tested "
            "on). If one is the --cross file, a fixed 20%% of it is held out.",
        )
        parser.add_argument(
            "--cross",
            type=Path,
            default=SONGS_DATA / "moods1.csv",
            help="Catalogue for the cross-catalogue check; 'none' skips it "
            "(default: %(default)s, skipped when absent).",
        )
        parser.add_argument("--folds", type=int, default=10)
        parser.add_argument(
            "--epochs", type=int, default=None, help="Default: the model's setting."
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=settings.MODELS_DIR,
            help="Where the model files go (default: %(default)s).",
        )
        parser.add_argument(
            "--no-cv", action="store_true", help="Skip cross-validation: quick fit."
        )

    def handle(self, *args, **options):
        training_options = self.training_options(options)
        from ml_training.mood.artifacts import save_artifacts
        from ml_training.mood.training import train

        try:
            result = train(
                training_options,
                progress=options["verbosity"] > 0,
                epochs=options["epochs"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"training failed: {exc}") from exc
        paths = save_artifacts(result, options["output_dir"])
        self.report(result.metadata, paths)

    def training_options(self, options):
        from ml_training.mood.training import TrainingOptions

        if options["folds"] < 2 and not options["no_cv"]:
            raise CommandError("--folds must be at least 2 (or use --no-cv)")
        if options["epochs"] is not None and options["epochs"] < 1:
            raise CommandError("--epochs must be at least 1")
        for path in [options["data"], *options["extra"]]:
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
        cross = options["cross"]
        if cross is not None and (str(cross).lower() == "none" or not cross.is_file()):
            if str(cross).lower() != "none":
                self.stderr.write(f"cross-catalogue file {cross} not found: skipped")
            cross = None
        return TrainingOptions(
            data=options["data"],
            extra=list(options["extra"]),
            cross=cross,
            folds=options["folds"],
            seed=options["seed"],
            cv=not options["no_cv"],
        )

    def report(self, metadata, paths):
        cv = metadata["cv"]
        if cv:
            self.stdout.write(
                f"CV accuracy {cv['mean']:.1%} ± {cv['std']:.1%} "
                f"over {cv['folds']} folds"
            )
        cross = metadata["cross_catalogue"]
        if cross:
            held_out = " (held-out part)" if cross["held_out_fraction"] else ""
            self.stdout.write(
                f"cross-catalogue accuracy {cross['accuracy']:.1%} on "
                f"{cross['n']} songs of {cross['file']}{held_out}"
            )
        self.stdout.write(
            f"model {metadata['version']}: {metadata['parameters']} parameters, "
            f"{metadata['training_seconds']} s"
        )
        for path in paths.values():
            self.stdout.write(f"wrote {path}")
