import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_DATA = settings.SHARED_DATA_DIR / "fer2013" / "fer2013.npz"


class Command(BaseCommand):
    help = (
        "Train the emotion model (trimmed Xception) on FER2013 Training, choose on "
        "PublicTest, and publish it into saved_models/ with its report and plots."
    )

    def add_arguments(self, parser):
        from ml_training.face.model import ARCHITECTURES

        parser.add_argument(
            "--data",
            type=Path,
            default=DEFAULT_DATA,
            help="fer2013.npz (default: ../shared/data/fer2013/)",
        )
        parser.add_argument("--output-dir", type=Path, default=settings.MODELS_DIR)
        parser.add_argument(
            "--checkpoint-dir", type=Path, help="default: <output-dir>/checkpoints"
        )
        parser.add_argument("--epochs", type=int, default=40)
        parser.add_argument("--batch-size", type=int, default=128)
        parser.add_argument("--learning-rate", type=float, default=2e-3)
        parser.add_argument(
            "--patience",
            type=int,
            default=12,
            help="stop after this many epochs without a better PublicTest",
        )
        parser.add_argument("--seed", type=int, default=1337)
        parser.add_argument(
            "--class-weight-power",
            type=float,
            default=0.5,
            help="weight classes by (largest count / count) ** power, for Disgust's "
            "436 faces: 0 = unweighted, 1 = fully balanced (default 0.5)",
        )
        parser.add_argument(
            "--label-smoothing",
            type=float,
            default=0.1,
            help="label smoothing of the cross-entropy (default 0.1; 0 = none)",
        )
        parser.add_argument(
            "--architecture",
            choices=sorted(ARCHITECTURES),
            default="compact",
            help="compact: 397k parameters, what 2 CPU cores train in a session; "
            "deep: 1.15M, compact with 4 middle blocks and an exit (the shipped "
            "members); broad: 1.51M, wider entry blocks, 2 middle blocks and an "
            "exit; wide: 1.67M, for a GPU; pretrained: EfficientNet-Lite0 "
            "from ImageNet at 64 px, 3.4M, under KERAS_BACKEND=torch "
            "(default compact)",
        )
        parser.add_argument(
            "--random-erasing",
            type=float,
            default=0.0,
            help="share of training faces with a random rectangle of noise "
            "(default 0, as the shipped model; 0.5 is usual)",
        )
        parser.add_argument(
            "--photo-artefacts",
            type=float,
            default=0.0,
            help="share of training faces given a photo's artefacts: gamma, blur, "
            "JPEG (default 0, as the shipped model)",
        )
        parser.add_argument(
            "--mixup",
            type=float,
            default=0.0,
            help="blend training faces in pairs, targets alike, by a share drawn "
            "from Beta(MIXUP, MIXUP) (default 0: none; 0.2 is usual)",
        )
        parser.add_argument(
            "--teacher",
            type=Path,
            help="distil: a models folder (e.g. saved_models) whose reading as "
            "served gives every training face soft targets",
        )
        parser.add_argument(
            "--distillation",
            type=float,
            default=0.7,
            help="with --teacher, the teacher's share of each target beside the "
            "label (default 0.7)",
        )
        parser.add_argument(
            "--start-from",
            type=Path,
            help="a trained model folder of the same architecture to start from "
            "(e.g. saved_models/members/emotion_a) instead of random weights",
        )
        parser.add_argument(
            "--resume",
            action="store_true",
            help="continue the run saved in --checkpoint-dir",
        )
        parser.add_argument(
            "--export-only",
            action="store_true",
            help="only convert the shipped emotion_model.keras into .tflite (after "
            "training under a backend without TensorFlow's converter)",
        )
        parser.add_argument(
            "--publish-only",
            action="store_true",
            help="publish the best weights in --checkpoint-dir (state.json and "
            "best.weights.h5 of a run trained elsewhere, e.g. on a GPU), "
            "re-measured on PublicTest",
        )
        parser.add_argument(
            "--no-tflite",
            action="store_true",
            help="skip the LiteRT export (it needs TensorFlow)",
        )

    def handle(self, *args, **options):
        from ml_training.face.model import ARCHITECTURES
        from ml_training.face.training import (
            FaceTrainingConfig,
            export_shipped_model,
            publish_checkpoint,
            train_face_model,
        )

        if options["export_only"]:
            try:
                path = export_shipped_model(options["output_dir"])
            except FileNotFoundError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"Wrote {path}")
            return

        if not options["data"].exists():
            raise CommandError(
                f"FER2013 data not found at {options['data']}; pass --data."
            )
        config = FaceTrainingConfig(
            data=options["data"],
            output_dir=options["output_dir"],
            checkpoint_dir=options["checkpoint_dir"]
            or options["output_dir"] / "checkpoints",
            epochs=options["epochs"],
            batch_size=options["batch_size"],
            learning_rate=options["learning_rate"],
            patience=options["patience"],
            seed=options["seed"],
            class_weight_power=options["class_weight_power"],
            label_smoothing=options["label_smoothing"],
            random_erasing=options["random_erasing"],
            photo_artefacts=options["photo_artefacts"],
            mixup=options["mixup"],
            teacher=options["teacher"],
            distillation=options["distillation"] if options["teacher"] else 0.0,
            start_from=options["start_from"],
            architecture=dict(ARCHITECTURES[options["architecture"]]),
            resume=options["resume"],
            export_tflite=not options["no_tflite"],
            # Progress bars on a terminal; a line an epoch into a log file.
            verbose=(1 if sys.stdout.isatty() else 2) if options["verbosity"] else 0,
        )
        run = publish_checkpoint if options["publish_only"] else train_face_model
        try:
            report = run(config)
        except (FileNotFoundError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"PublicTest accuracy {report['public_test_accuracy']:.2%} after "
            f"{report['epochs_trained']} epochs (best {report['best_epoch']}); "
            f"{report['parameters']:,} parameters; written to {config.output_dir}"
        )
