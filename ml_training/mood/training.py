"""One training run of the mood model: data, CV, final fit, metadata.

The shipped model is fitted on all rows of the training catalogue(s); its
quality numbers come from cross-validation (the same recipe refitted per
fold) and from a catalogue the shipped model never trained on.
"""

import hashlib
import subprocess
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np

from music.features import REQUIRED_FEATURES
from music.moods import MOODS

from . import data, served
from .evaluation import classification_report, cross_validate
from .model import ModelConfig, fit_model, parameter_count, predict_proba

# Chosen by measurement (README_mood.md): duration lifts CV and the
# cross-catalogue score; key and time_signature do not; data_moods has no mode.
FEATURES = (*REQUIRED_FEATURES, "duration_ms")
CROSS_MAPPING = "happy->happy, energetic->energetic, chill->calm; study dropped"
HOLDOUT_FRACTION = 0.2


@dataclass
class TrainingOptions:
    data: Path
    extra: list = field(default_factory=list)
    cross: Path | None = None
    folds: int = 10
    seed: int = 0
    cv: bool = True
    features: tuple = FEATURES
    config: ModelConfig = ModelConfig()


@dataclass
class Dataset:
    main: data.Catalogue
    extras: list  # (Catalogue, training frame) pairs
    cross: data.Catalogue | None
    cross_test: object  # frame the shipped model never trained on, or None
    cross_held_out: bool  # True when part of the cross catalogue was trained on
    cross_shared: int = 0  # cross rows dropped as songs of the training data


@dataclass
class TrainingResult:
    model: object
    metadata: dict
    confusion: np.ndarray | None


def prepare(options):
    """Load the catalogues and keep every test set apart from training rows.

    Extra rows that are songs of the main catalogue (same id or name|artist)
    are dropped, else CV would test on songs a fold trained on. When the
    cross catalogue is also an extra, a stable hash-chosen part of it is held
    out of training and is what the cross-catalogue score is measured on.
    """

    def load(path):
        return data.with_features(data.load_catalogue(path), options.features)

    main = load(options.data)
    cross = load(options.cross) if options.cross else None
    extras = []
    cross_held_out = False
    for path in options.extra:
        catalogue = load(path)
        frame = catalogue.frame
        frame = frame.loc[~data.overlapping(frame, [main.frame])]
        if cross is not None and catalogue.sha256 == cross.sha256:
            cross_held_out = True
            frame = frame.loc[~data.holdout_mask(frame["id"], HOLDOUT_FRACTION)]
        extras.append((catalogue, frame.reset_index(drop=True)))
    cross_test, cross_shared = None, 0
    if cross is not None:
        trained_on = [main.frame] + [
            frame for catalogue, frame in extras if catalogue.sha256 != cross.sha256
        ]
        shared = data.overlapping(cross.frame, trained_on)
        cross_shared = int(shared.sum())
        cross_test = cross.frame.loc[~shared]
        if cross_held_out:
            cross_test = cross_test.loc[
                data.holdout_mask(cross_test["id"], HOLDOUT_FRACTION)
            ]
        cross_test = cross_test.reset_index(drop=True)
    return Dataset(main, extras, cross, cross_test, cross_held_out, cross_shared)


def train(options, *, progress=False, epochs=None):
    started = time.monotonic()
    dataset = prepare(options)
    config = replace(options.config, epochs=epochs) if epochs else options.config
    frames = [dataset.main.frame] + [frame for _, frame in dataset.extras]
    # Only the runtime fills gaps with these (training rows have none).
    means = data.training_means(frames, options.features)

    def matrix(frame):
        return data.features_of(frame, options.features, means)

    features, labels = matrix(dataset.main.frame), dataset.main.labels()
    extra = None
    if dataset.extras:
        extra = (
            np.concatenate([matrix(frame) for _, frame in dataset.extras]),
            np.concatenate([data.encode_labels(f["mood"]) for _, f in dataset.extras]),
        )
    cross = None
    if dataset.cross_test is not None:
        cross = (
            matrix(dataset.cross_test),
            data.encode_labels(dataset.cross_test["mood"]),
        )

    cv = None
    if options.cv:

        def fit(train_features, train_labels, seed):
            model = fit_model(config, train_features, train_labels, seed=seed)
            return lambda x: predict_proba(model, x)

        cv = cross_validate(
            features,
            labels,
            fit,
            folds=options.folds,
            seed=options.seed,
            extra=extra,
            cross=cross,
            progress=progress,
        )

    all_features, all_labels = features, labels
    if extra is not None:
        all_features = np.concatenate([features, extra[0]])
        all_labels = np.concatenate([labels, extra[1]])
    model = fit_model(config, all_features, all_labels, seed=options.seed)

    metadata = describe(options, config, dataset, means, model, cv, labels, cross)
    if options.cross is not None:
        fitted = served.FittedModel(lambda f: predict_proba(model, matrix(f)))
        metadata["served_precision"] = served.evaluate(fitted, options.cross, frames)
    metadata["training_seconds"] = round(time.monotonic() - started, 1)
    confusion = np.array(metadata["cv"]["confusion"]) if cv else None
    return TrainingResult(model=model, metadata=metadata, confusion=confusion)


def describe(options, config, dataset, means, model, cv, labels, cross):
    """The mood_model.json contents (everything but the training time)."""
    created = datetime.now(UTC)
    weights_hash = hashlib.sha256()
    for weight in model.get_weights():
        weights_hash.update(np.ascontiguousarray(weight).tobytes())
    metadata = {
        "version": f"{created:%Y%m%dT%H%M%SZ}-{weights_hash.hexdigest()[:8]}",
        "created": created.isoformat(timespec="seconds"),
        "classes": list(MOODS),
        "features": list(options.features),
        "feature_means": {name: round(value, 6) for name, value in means.items()},
        "model": config.as_dict(),
        "parameters": parameter_count(model),
        "trainable_parameters": int(
            sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        ),
        "epochs": config.epochs,
        "seed": options.seed,
        "data": [catalogue_record(dataset.main, len(dataset.main.frame), "train")]
        + [catalogue_record(c, len(f), "extra") for c, f in dataset.extras],
        "git_commit": git_commit(),
        "keras": {"version": keras.__version__, "backend": keras.backend.backend()},
        "cv": None,
        "cross_catalogue": None,
    }
    if cv is not None:
        metadata["cv"] = {
            "folds": options.folds,
            "mean": round(cv.mean, 4),
            "std": round(cv.std, 4),
            "fold_accuracies": [round(a, 4) for a in cv.fold_accuracies],
            **classification_report(labels, cv.predictions),
        }
    if cross is not None:
        predicted = np.argmax(predict_proba(model, cross[0]), axis=1)
        report = classification_report(cross[1], predicted)
        metadata["cross_catalogue"] = {
            **catalogue_record(dataset.cross, len(cross[1]), "cross"),
            "mapping": CROSS_MAPPING,
            "shared_with_training_dropped": dataset.cross_shared,
            "held_out_fraction": HOLDOUT_FRACTION if dataset.cross_held_out else None,
            "accuracy": round(report["accuracy"], 4),
            "n": len(cross[1]),
            "fold_models_mean": round(float(np.mean(cv.cross_fold_accuracies)), 4)
            if cv and cv.cross_fold_accuracies
            else None,
            "per_class": report["per_class"],
            "confusion": report["confusion"],
        }
    return metadata


def catalogue_record(catalogue, rows_used, role):
    return {
        "file": catalogue.name,
        "role": role,
        "sha256": catalogue.sha256,
        "rows_used": rows_used,
        "dropped": catalogue.dropped,
    }


def git_commit():
    """The repo's HEAD commit, or None outside a git checkout (read-only)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None
