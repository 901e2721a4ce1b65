"""How the emotion reading's accuracy depends on the margin around the face.

    .venv/bin/python benchmarks/face_crop_margin.py [--models-dir DIR]

The runtime crops the cascade's box as it is (faces/analysis.py: on PublicTest
the FER crop's side is 1.02 times the box's, median), and the model trained on
FER2013's crops. This re-crops every PublicTest and CK+ face around its centre
at a scale: below 1 a tighter crop (the centre enlarged), above 1 a looser
one (the face shrunk, its border repeated), and prints the shipped reading's
accuracy at each: where each set's best margin lies, and how much a box that
frames the face tighter or looser than FER's costs. Accuracy only, so it may
run beside other work.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402

harness.setup_django()

import cv2  # noqa: E402
from django.conf import settings  # noqa: E402

from faces.classifier import EmotionClassifier  # noqa: E402
from ml_training.face import evaluation  # noqa: E402
from ml_training.face.data import load_fer2013  # noqa: E402
from ml_training.face.training import face_sets  # noqa: E402

SCALES = (0.8, 0.9, 1.0, 1.1, 1.2, 1.3)


def recrop(faces, scale):
    """uint8 (N, 48, 48) re-cropped at `scale` times the side, back to 48."""
    if scale == 1.0:
        return faces
    side = 48
    if scale < 1:
        inner = round(side * scale)
        start = (side - inner) // 2
        crops = faces[:, start : start + inner, start : start + inner]
        return np.stack([cv2.resize(c, (side, side), cv2.INTER_AREA) for c in crops])
    pad = round(side * (scale - 1) / 2)
    return np.stack(
        [
            cv2.resize(
                cv2.copyMakeBorder(f, pad, pad, pad, pad, cv2.BORDER_REPLICATE),
                (side, side),
                interpolation=cv2.INTER_AREA,
            )
            for f in faces
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fer = settings.SHARED_DATA_DIR / "fer2013" / "fer2013.npz"
    parser.add_argument("--data", default=fer, type=Path)
    parser.add_argument("--models-dir", default=settings.MODELS_DIR, type=Path)
    args = parser.parse_args()
    sets = {
        face_set.name: (face_set.pixels, face_set.labels)
        for face_set in face_sets(load_fer2013(args.data), args.data)
    }
    reading = EmotionClassifier(args.models_dir)
    print(f"{'crop scale':>10s} " + " ".join(f"{name:>11s}" for name in sets))
    for scale in SCALES:
        accuracies = []
        for pixels, labels in sets.values():
            probabilities = evaluation.read_all(
                reading.predict_proba, recrop(pixels, scale)
            )
            accuracies.append((probabilities.argmax(axis=1) == labels).mean())
        print(f"{scale:10.1f} " + " ".join(f"{a:11.2%}" for a in accuracies))


if __name__ == "__main__":
    main()
