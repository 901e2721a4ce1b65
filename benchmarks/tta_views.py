"""Do more views of a face than it and its mirror read better? Measured in one run.

    .venv/bin/python benchmarks/tta_views.py saved_models/members/emotion_{s,e}

Issue 21 asks for "more than one opinion" within 5 ms a face. The site reads
each face and its mirror image; this reads the given members' ensemble with
further views of the kind training showed them (small shifts, zooms and
rotations: `ml_training.face.data.augment_batch`), each with its mirror,
and prints PublicTest and CK+ accuracy and CK+ calibration error for each set
of views, read as `publish_emotion_ensemble` would serve it (temperature,
prior shift and neutral offset fitted on PublicTest for that set). The cost a
face grows with the number of views: 2 views are what the site pays today.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402

harness.setup_django()

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from ml_training.face import ensemble  # noqa: E402
from ml_training.face.data import load_fer2013  # noqa: E402
from ml_training.face.training import face_sets  # noqa: E402

# (name, degrees, scale, shift x, shift y): within training's ±10°, ±10%, ±4.8 px.
MOVES = {
    "zoom in 8%": (0, 1.08, 0, 0),
    "zoom out 8%": (0, 0.92, 0, 0),
    "left 2 px": (0, 1.0, -2, 0),
    "right 2 px": (0, 1.0, 2, 0),
    "up 2 px": (0, 1.0, 0, -2),
    "down 2 px": (0, 1.0, 0, 2),
    "turn -6°": (-6, 1.0, 0, 0),
    "turn +6°": (6, 1.0, 0, 0),
}
VIEW_SETS = {
    "face + mirror (served today)": [],
    "+ zoom in": ["zoom in 8%"],
    "+ zoom in and out": ["zoom in 8%", "zoom out 8%"],
    "+ shifts left and right": ["left 2 px", "right 2 px"],
    "+ shifts up and down": ["up 2 px", "down 2 px"],
    "+ turns": ["turn -6°", "turn +6°"],
    "+ zooms and turns": ["zoom in 8%", "zoom out 8%", "turn -6°", "turn +6°"],
    "+ all eight moves": list(MOVES),
}


def moved(faces, degrees, scale, dx, dy):
    """The faces warped as training's augmentation warps them."""
    matrix = cv2.getRotationMatrix2D((23.5, 23.5), degrees, scale)
    matrix[:, 2] += (dx, dy)
    return np.stack(
        [
            cv2.warpAffine(
                face,
                matrix,
                (48, 48),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            )
            for face in faces
        ]
    )


def main():
    args = harness.emotion_members_parser(__doc__.splitlines()[0]).parse_args()

    splits = load_fer2013(args.data)
    sets, prior = face_sets(splits, args.data), ensemble.class_prior(splits.y_train)
    models = [ensemble.load_member(folder)[0] for folder in args.members]
    # logits[set][view name]: per member, (face, mirror) logits.
    logits = {s.name: {} for s in sets}
    for face_set in sets:
        views = {"face": face_set.pixels}
        views.update({name: moved(face_set.pixels, *m) for name, m in MOVES.items()})
        for name, faces in views.items():
            logits[face_set.name][name] = [
                ensemble.member_logits(model, faces) for model in models
            ]
        print(f"read {face_set.name}", file=sys.stderr, flush=True)

    rows = []
    for label, extra in VIEW_SETS.items():
        chosen = ["face", *extra]
        # Each member's views side by side: served_probabilities averages them all.
        on = {
            s.name: [
                [view for name in chosen for view in logits[s.name][name][member]]
                for member in range(len(models))
            ]
            for s in sets
        }
        reading, figures = ensemble.fit_and_measure(on, sets, prior)
        row = {
            "views": label,
            "passes a face": str(2 * len(chosen) * len(models)),
            "T": f"{reading.temperature:.2f}",
            "prior shift": f"{reading.prior_shift:.2f}",
            "neutral offset": f"{reading.neutral_offset:+.2f}",
        }
        row.update(harness.reading_cells(figures))
        rows.append(row)
    harness.print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
