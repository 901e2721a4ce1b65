import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_DATA = settings.SHARED_DATA_DIR / "scenes"


class Command(BaseCommand):
    help = (
        "Train the scene-mood model (EfficientNet-Lite0 from ImageNet) on the scene "
        "photos, measure it on a group-wise validation split, and publish it into "
        "saved_models/ with its report and plots. Needs requirements-training.txt "
        "(torch) once, to convert the ImageNet weights."
    )

    def add_arguments(self, parser):
        from ml_training.scene.training import SceneTrainingConfig as Defaults

        parser.add_argument(
            "--data",
            type=Path,
            default=DEFAULT_DATA,
            help="folder with labels.csv and images/ (default: ../shared/data/scenes/)",
        )
        parser.add_argument("--output-dir", type=Path, default=settings.MODELS_DIR)
        parser.add_argument(
            "--checkpoint-dir",
            type=Path,
            help="default: <output-dir>/checkpoints/scene",
        )
        parser.add_argument(
            "--oasis-only",
            action="store_true",
            help="train on the OASIS photos alone (free for research use; Emotion6 "
            "is academic research only)",
        )
        parser.add_argument(
            "--without-faces",
            action="store_true",
            help="only photos where the Haar cascade finds no face",
        )
        for name, help_text in (
            ("views", "cached views per training photo (photo, mirror, random crops)"),
            ("split_block", "blocks before this one stay frozen (and cached)"),
            ("fine_tune_from", "the fine-tune phase trains blocks from this one on"),
            ("classifier_epochs", "epochs training the mood layer alone"),
            ("fine_tune_epochs", "epochs training the upper blocks with it"),
            ("batch_size", "photos per step"),
            (
                "patience",
                "stop a phase after this many epochs without a better "
                "validation accuracy",
            ),
            ("seed", "random seed"),
        ):
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                type=int,
                default=getattr(Defaults, name),
                help=f"{help_text} (default {getattr(Defaults, name)})",
            )
        for name in (
            "classifier_learning_rate",
            "fine_tune_learning_rate",
            "weight_decay",
            "label_smoothing",
            "dropout",
        ):
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                type=float,
                default=getattr(Defaults, name),
                help=f"default {getattr(Defaults, name)}",
            )
        parser.add_argument(
            "--resume",
            action="store_true",
            help="continue the run saved in --checkpoint-dir",
        )
        parser.add_argument(
            "--no-tflite",
            action="store_true",
            help="skip the LiteRT export (it needs TensorFlow)",
        )

    def handle(self, *args, **options):
        from ml_training.scene.training import SceneTrainingConfig, train_scene_model

        if not (options["data"] / "labels.csv").exists():
            raise CommandError(
                f"Scene data not found in {options['data']}; pass --data."
            )
        fields = SceneTrainingConfig.__dataclass_fields__
        config = SceneTrainingConfig(
            data=options["data"],
            output_dir=options["output_dir"],
            checkpoint_dir=options["checkpoint_dir"]
            or options["output_dir"] / "checkpoints" / "scene",
            export_tflite=not options["no_tflite"],
            # Progress bars on a terminal; a line an epoch into a log file.
            verbose=(1 if sys.stdout.isatty() else 2) if options["verbosity"] else 0,
            **{
                name: options[name]
                for name in fields
                if name in options
                and name not in ("data", "output_dir", "checkpoint_dir", "verbose")
            },
        )
        try:
            report = train_scene_model(config)
        except (FileNotFoundError, ValueError) as error:
            raise CommandError(str(error)) from error
        validation = report["validation"]
        self.stdout.write(
            f"Group-wise validation accuracy {validation['accuracy']:.2%} on "
            f"{validation['photos']} photos; {report['parameters']:,} parameters; "
            f"written to {config.output_dir}"
        )
