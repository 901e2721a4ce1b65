"""The handful of configurations the shipped mood model was chosen from.

    nice -n 5 .venv/bin/python -m ml_training.mood.experiments [--seeds 3] [NAME ...]

Each configuration runs the same leakage-free 10-fold CV as training, once
per seed (the seed picks both the fold split and the initial weights), and
prints a markdown row: CV mean over seeds, the seeds' spread, the mean
within-run fold std, and the fold models' mean accuracy on moods1.
"""

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from music.features import REQUIRED_FEATURES  # noqa: E402

from . import data  # noqa: E402
from .evaluation import cross_validate  # noqa: E402
from .model import ModelConfig, fit_model, parameter_count, predict_proba  # noqa: E402
from .training import TrainingOptions, prepare  # noqa: E402

SONGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "songs"
NINE = tuple(REQUIRED_FEATURES)
DURATION = (*NINE, "duration_ms")
ALL = (*NINE, "duration_ms", "key", "time_signature")
# Metadata, not sound: measured to show what the playlist labels also encode.
WITH_YEAR = (*DURATION, "release_year")
ENSEMBLE = ModelConfig(hidden=(32,), members=5)
SINGLE = ModelConfig(hidden=(32,), members=1)

# name -> (features, config, train on moods1 too)
EXPERIMENTS = {
    "mlp8": (NINE, ModelConfig(hidden=(8,), members=1, dropout=0, l2=0), False),
    "mlp32": (NINE, SINGLE, False),
    "mlp32+duration": (DURATION, SINGLE, False),
    "mlp32+duration,key,timesig": (ALL, SINGLE, False),
    "mlp32x5+duration": (DURATION, ENSEMBLE, False),
    "mlp64-32x5+duration": (DURATION, replace(ENSEMBLE, hidden=(64, 32)), False),
    "mlp32x5+duration, 75 epochs": (DURATION, replace(ENSEMBLE, epochs=75), False),
    "mlp32x5+duration, 300 epochs": (DURATION, replace(ENSEMBLE, epochs=300), False),
    "mlp32x5+duration, dropout .3, l2 1e-3": (
        DURATION,
        replace(ENSEMBLE, dropout=0.3, l2=1e-3),
        False,
    ),
    "mlp32x5+duration, +moods1": (DURATION, ENSEMBLE, True),
    "mlp32x5+duration+release year": (WITH_YEAR, ENSEMBLE, False),
}


def run(name, seeds):
    features, config, with_moods1 = EXPERIMENTS[name]
    moods1 = SONGS / "moods1.csv"
    options = TrainingOptions(
        data=SONGS / "data_moods.csv",
        extra=[moods1] if with_moods1 else [],
        cross=moods1,
        features=features,
        config=config,
    )
    dataset = prepare(options)
    frames = [dataset.main.frame] + [frame for _, frame in dataset.extras]
    means = data.training_means(frames, features)
    x = data.features_of(dataset.main.frame, features, means)
    y = dataset.main.labels()
    extra = None
    if dataset.extras:
        extra_frame = dataset.extras[0][1]
        extra = (
            data.features_of(extra_frame, features, means),
            data.encode_labels(extra_frame["mood"]),
        )
    cross_frame = dataset.cross_test
    cross = (
        data.features_of(cross_frame, features, means),
        data.encode_labels(cross_frame["mood"]),
    )
    parameters = []

    def fit(train_x, train_y, seed):
        model = fit_model(config, train_x, train_y, seed=seed)
        parameters.append(parameter_count(model))
        return lambda batch: predict_proba(model, batch)

    results = [
        cross_validate(x, y, fit, folds=10, seed=seed, extra=extra, cross=cross)
        for seed in range(seeds)
    ]
    means_per_seed = [r.mean for r in results]
    return (
        f"| {name} | {parameters[0]} | {100 * np.mean(means_per_seed):.1f} "
        f"| {100 * np.std(means_per_seed):.1f} "
        f"| {100 * np.mean([r.std for r in results]):.1f} "
        f"| {100 * np.mean([np.mean(r.cross_fold_accuracies) for r in results]):.1f} "
        f"(n={len(cross[1])}) |"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(EXPERIMENTS))
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        "| configuration | params | CV mean % | ± across seeds | fold std | moods1 % |"
    )
    print("|---|---|---|---|---|---|")
    for name in args.names:
        print(run(name, args.seeds), flush=True)


if __name__ == "__main__":
    sys.exit(main())
