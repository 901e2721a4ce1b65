"""How well an emotion reading reads faces: the figures every report carries.

A reading is any function uint8 (N, 48, 48) -> (N, 7) probabilities: one
member's Keras model, or the shipped file through the site's own
EmotionClassifier (ensemble and flip included), so the report measures what
visitors get. Two face sets: FER2013 PublicTest (where models are chosen) and
CK+ (posed faces from other people and cameras, never trained on: the check
that a model reads faces that are not FER2013's).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faces.classifier import EMOTIONS
from ml_training import metrics

CALIBRATION_BINS = 15
BATCH = 512


@dataclass(frozen=True)
class FaceSet:
    name: str
    pixels: np.ndarray  # uint8 (N, 48, 48)
    labels: np.ndarray  # int (N,), EMOTIONS order
    subjects: np.ndarray | None = None  # who each face is, where known


def load_ckplus(path):
    """CK+48 (shared/data/ckplus): 927 faces of 106 people, no neutral."""
    with np.load(path) as data:
        return FaceSet(
            "CK+",
            data["pixels"],
            data["emotion"].astype("int64"),
            data["subject"].astype(str),
        )


def default_ckplus_path(fer_path):
    """shared/data/ckplus/ckplus48.npz beside shared/data/fer2013/."""
    return Path(fer_path).resolve().parent.parent / "ckplus" / "ckplus48.npz"


def expected_calibration_error(probabilities, labels, bins=CALIBRATION_BINS):
    return metrics.reliability(probabilities, labels, bins)[0]


def measure(probabilities, labels, subjects=None):
    """Accuracy, per-class figures, confusion matrix and calibration; per
    subject where the set says who is who."""
    predicted = probabilities.argmax(axis=1)
    classified = metrics.classification_figures(probabilities, labels, EMOTIONS)
    figures = {
        "faces": int(len(labels)),
        **classified,
        # Recall averaged over the emotions the set holds: what accuracy would
        # be on a set with every emotion equally often (the posed photo sets).
        "mean_recall": mean_recall(classified["confusion_matrix"]),
        "expected_calibration_error": expected_calibration_error(probabilities, labels),
        # How often the model says neutral against how often faces are:
        # a reading that hides in neutral swallows angry, sad and fear.
        "neutral_answers": int((predicted == EMOTIONS.index("neutral")).sum()),
        "neutral_faces": int((labels == EMOTIONS.index("neutral")).sum()),
    }
    if subjects is not None:
        figures["per_subject"] = per_subject(predicted == labels, subjects)
    return figures


def mean_recall(confusion):
    """The mean recall of the emotions that have faces (CK+ has no neutral),
    from a confusion matrix whose rows are the truth."""
    confusion = np.asarray(confusion)
    faces = confusion.sum(axis=1)
    held = faces > 0
    return round(float((np.diag(confusion)[held] / faces[held]).mean()), 4)


def per_subject(correct, subjects):
    """Accuracy per person, summarised: a model may read most people well and
    some not at all, which one accuracy figure hides."""
    people = np.unique(subjects)
    rates = np.array([correct[subjects == person].mean() for person in people])
    return {
        "subjects": int(len(people)),
        "median": round(float(np.median(rates)), 4),
        "worst_decile": round(float(np.percentile(rates, 10)), 4),
        "all_right": int((rates == 1.0).sum()),
        "none_right": int((rates == 0.0).sum()),
    }


def paired_difference(right_after, right_before, groups=None, draws=2000, seed=0):
    """How much a new reading gains on the same faces: accuracy after minus
    before, with a 95% interval from resampling the faces, or whole groups
    where faces are alike (CK+'s people: each posed several frames of several
    expressions), and the faces newly read right and newly read wrong."""
    right_after = np.asarray(right_after, dtype=bool)
    right_before = np.asarray(right_before, dtype=bool)
    if groups is None:
        groups = np.arange(len(right_after))
    _, group_of = np.unique(groups, return_inverse=True)
    change = right_after.astype(float) - right_before
    change_per_group = np.bincount(group_of, weights=change)
    faces_per_group = np.bincount(group_of)
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(faces_per_group), (draws, len(faces_per_group)))
    resampled = change_per_group[drawn].sum(axis=1) / faces_per_group[drawn].sum(axis=1)
    low, high = np.percentile(resampled, [2.5, 97.5])
    return {
        "difference": float(change.mean()),
        "interval": (float(low), float(high)),
        "newly_right": int((right_after & ~right_before).sum()),
        "newly_wrong": int((~right_after & right_before).sum()),
    }


def read_all(reading, pixels):
    return np.concatenate(
        [
            reading(pixels[start : start + BATCH])
            for start in range(0, len(pixels), BATCH)
        ]
    )


def read_sets(reading, face_sets):
    """{set name: (N, 7) probabilities} for each FaceSet."""
    return {faces.name: read_all(reading, faces.pixels) for faces in face_sets}


def measure_read(read, face_sets):
    """{set name: figures} from read_sets' probabilities."""
    return {
        faces.name: measure(read[faces.name], faces.labels, faces.subjects)
        for faces in face_sets
    }


def measure_reading(reading, face_sets):
    """{set name: figures} for each FaceSet."""
    return measure_read(read_sets(reading, face_sets), face_sets)


def keras_reading(model):
    """A Keras model as a reading (48x48 uint8 in, probabilities out)."""

    def read(pixels):
        return np.asarray(
            model.predict(
                pixels[..., None].astype("float32"), verbose=0, batch_size=BATCH
            )
        )

    return read
