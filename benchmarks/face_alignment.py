"""Does levelling a face by its eyes help the emotion reading? One run.

    .venv/bin/python benchmarks/face_alignment.py [--models-dir DIR] [--upscale 144]

Issue 21 names aligning the face by the eyes (OpenCV's eye cascade) as a
lever to measure. For each FER2013 PublicTest and CK+ face (48 x 48): the face
is enlarged to --upscale px, the eye cascade the detector already uses
(faces.detection.EYE_CASCADE_FILE) looks for one eye in each upper quarter,
and where it finds both the face is turned about its centre so that they are
level (edges replicated), then read by the shipped reading as it is. Prints,
per set: the share of faces with both eyes found, their median tilt, the
accuracy as read and levelled (all faces, and those with both eyes), how
many faces levelling made right and wrong, and the milliseconds the
levelling adds a face (one thread).
"""

import argparse
import sys
import time
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
from faces.detection import EYE_CASCADE_FILE  # noqa: E402
from ml_training.face.data import load_fer2013  # noqa: E402
from ml_training.face.training import face_sets  # noqa: E402

MAX_TILT = 30  # degrees: more is a wrong pair of "eyes", not a tilted face


def eye_tilt(face, eyes, upscale):
    """Degrees the eye line is turned from level, or None without two eyes."""
    big = cv2.resize(face, (upscale, upscale), interpolation=cv2.INTER_CUBIC)
    half, top = upscale // 2, upscale // 2 + upscale // 10
    centres = []
    for x0 in (0, half):  # the face's right eye (image left), then its left eye
        found = eyes.detectMultiScale(
            big[:top, x0 : x0 + half],
            minNeighbors=3,
            minSize=(upscale // 8, upscale // 8),
            maxSize=(upscale // 3, upscale // 3),
        )
        if len(found) == 0:
            return None
        x, y, w, h = max(found, key=lambda box: box[2])
        centres.append((x0 + x + w / 2, y + h / 2))
    (x1, y1), (x2, y2) = centres
    tilt = float(np.degrees(np.arctan2(y2 - y1, x2 - x1)))
    return tilt if abs(tilt) <= MAX_TILT else None


def levelled(face, tilt):
    side = face.shape[0]
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), tilt, 1.0)
    return cv2.warpAffine(face, turn, (side, side), borderMode=cv2.BORDER_REPLICATE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fer = settings.SHARED_DATA_DIR / "fer2013" / "fer2013.npz"
    parser.add_argument("--data", default=fer, type=Path)
    parser.add_argument("--models-dir", default=settings.MODELS_DIR, type=Path)
    parser.add_argument("--upscale", type=int, default=144)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    eyes = cv2.CascadeClassifier(cv2.data.haarcascades + EYE_CASCADE_FILE)
    sets = {
        face_set.name: (face_set.pixels, face_set.labels)
        for face_set in face_sets(load_fer2013(args.data), args.data)
    }
    reading = EmotionClassifier(args.models_dir)
    print(
        f"{'set':10s} {'both eyes':>9s} {'|tilt| median':>13s} "
        f"{'as read':>8s} {'levelled':>8s} {'with eyes: as read':>18s} "
        f"{'levelled':>8s} {'fixed/broken':>12s} {'ms a face':>9s}"
    )
    for name, (pixels, labels) in sets.items():
        began = time.perf_counter()
        tilts = [eye_tilt(face, eyes, args.upscale) for face in pixels]
        aligned = np.stack(
            [
                face if tilt is None else levelled(face, tilt)
                for face, tilt in zip(pixels, tilts, strict=True)
            ]
        )
        ms = (time.perf_counter() - began) * 1e3 / len(pixels)
        found = np.array([t is not None for t in tilts])
        right = reading.predict_proba(pixels).argmax(axis=1) == labels
        right_levelled = reading.predict_proba(aligned).argmax(axis=1) == labels
        found_tilts = [abs(tilt) for tilt in tilts if tilt is not None]
        tilt = np.median(found_tilts) if found_tilts else 0.0
        fixed = int((right_levelled & ~right).sum())
        broken = int((right & ~right_levelled).sum())
        print(
            f"{name:10s} {found.mean():9.1%} {tilt:12.1f}° "
            f"{right.mean():8.2%} {right_levelled.mean():8.2%} "
            f"{right[found].mean():18.2%} {right_levelled[found].mean():8.2%} "
            f"{fixed:6d}/{broken:<5d} "
            f"{ms:9.2f}"
        )


if __name__ == "__main__":
    main()
