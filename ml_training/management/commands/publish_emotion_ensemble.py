from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ml_training.management.commands.train_face_model import DEFAULT_DATA


class Command(BaseCommand):
    help = (
        "Average trained emotion models (members, each a train_face_model "
        "--output-dir folder) into the one model the site serves, measure it as "
        "served (mirror image included) on PublicTest and CK+, and publish it "
        "into saved_models/ with its report."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "members",
            nargs="+",
            type=Path,
            help="member folders, e.g. saved_models/members/emotion_a",
        )
        parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
        parser.add_argument("--output-dir", type=Path, default=settings.MODELS_DIR)
        parser.add_argument(
            "--int8",
            action="store_true",
            help="store weights and activations as 8-bit integers, their ranges "
            "measured on training faces (1.3-1.7x as fast a face, the same "
            "reading within noise)",
        )

    def handle(self, *args, members, data, output_dir, int8, **options):
        from ml_training.face.ensemble import publish_ensemble

        if not data.exists():
            raise CommandError(f"FER2013 data not found at {data}; pass --data.")
        try:
            report = publish_ensemble(members, output_dir, data, int8=int8)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        ckplus = report["ckplus"]["accuracy"] if report["ckplus"] else None
        self.stdout.write(
            f"Published {report['model']} ({report['weights']}): PublicTest "
            f"{report['public_test_accuracy']:.2%}, CK+ "
            f"{f'{ckplus:.2%}' if ckplus is not None else 'not found'}, "
            f"{report['parameters']:,} "
            f"parameters, {report['ms_per_face']:.2f} ms a face, into {output_dir}"
        )
