"""How fast the emotion model trains under each Keras backend, in one run.

    .venv/bin/python benchmarks/training_speed.py [--backends tensorflow,jax,torch]
        [--batch-sizes 128,256] [--architecture compact] [--steps 30]
        [--warmup 5] [--json PATH]

Issue 21's first step ("the fastest training step on 2 cores"): for each
backend and batch size, in a fresh process (Keras reads KERAS_BACKEND once, at
import), the model is built and compiled as `train_face_model` builds and
compiles it and fed the same augmented, class-weighted FER2013 Training
batches as the members trained since b (random erasing 0.25, photo artefacts
0.3; ml_training.face.data: numpy, so the same work on every backend);
after --warmup steps (tracing, compiling) --steps steps are timed one by
one. Prints ms a step (median, p95), faces a second and the epoch
(28,709 faces) that rate implies. The TensorFlow rows run with oneDNN as
installed (on); TF_ENABLE_ONEDNN_OPTS=0 in the environment gives the other.

JAX and PyTorch are not requirements of the site; for this script:

    .venv/bin/pip install "jax[cpu]"                                   # the registry
    .venv/bin/pip install -r requirements-training.txt -c constraints.txt  # torch

A backend that is not installed is reported and skipped. Run it on an
otherwise idle machine: a training job beside it slows every figure.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRAINING_FACES = 28_709  # FER2013 Training


def child(args):
    """One backend and batch size (KERAS_BACKEND set by the parent): JSON out."""
    import time

    import numpy as np

    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moodsite.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    import keras
    from django.conf import settings

    from ml_training.face.data import load_fer2013
    from ml_training.face.model import ARCHITECTURES, build_emotion_model
    from ml_training.face.training import (
        FaceTrainingConfig,
        WeightedBatches,
        _compile,
        class_weights,
    )

    data = settings.SHARED_DATA_DIR / "fer2013" / "fer2013.npz"
    splits = load_fer2013(data)
    config = FaceTrainingConfig(
        data=data,
        output_dir=None,  # nothing is written
        checkpoint_dir=None,
        batch_size=args.batch_size,
        architecture=dict(ARCHITECTURES[args.architecture]),
    )
    keras.utils.set_random_seed(0)
    model = build_emotion_model(**config.architecture)
    _compile(model, config)
    batches = WeightedBatches(
        splits.x_train,
        splits.y_train,
        batch_size=args.batch_size,
        seed=0,
        random_erasing=0.25,
        photo_artefacts=0.3,
        weights=class_weights(splits.y_train, 0.7),
    )

    class StepTimes(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.began = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            seconds.append(time.perf_counter() - self.began)

    seconds = []
    model.fit(
        batches,
        steps_per_epoch=args.warmup + args.steps,
        epochs=1,
        verbose=0,
        callbacks=[StepTimes()],
    )
    timed = np.array(seconds[args.warmup :])
    print(
        json.dumps(
            {
                "backend": keras.backend.backend(),
                "batch_size": args.batch_size,
                "parameters": model.count_params(),
                "step_ms_median": float(np.median(timed) * 1e3),
                "step_ms_p95": float(np.percentile(timed, 95) * 1e3),
                "faces_per_s": float(args.batch_size / np.median(timed)),
                "epoch_s": float(TRAINING_FACES / (args.batch_size / np.median(timed))),
            }
        )
    )


def installed(backend):
    probe = [sys.executable, "-c", f"import {backend}"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--batch-sizes", default="128,256")
    parser.add_argument("--architecture", default="compact")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    rows = []
    print(f"{os.cpu_count()} CPUs; {args.architecture} model; {args.steps} steps timed")
    header = f"{'backend':12s} {'batch':>5s} {'ms a step (median, p95)':>24s}"
    print(header + f" {'faces/s':>8s} {'s an epoch':>10s}")
    for backend in args.backends.split(","):
        if not installed(backend):
            print(f"{backend:12s} not installed: see this script's docstring")
            continue
        for batch_size in [int(size) for size in args.batch_sizes.split(",")]:
            command = [sys.executable, __file__, "--child"]
            command += ["--batch-size", str(batch_size)]
            command += ["--architecture", args.architecture]
            command += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
            env = os.environ | {"KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode:
                print(f"{backend:12s} {batch_size:5d} failed:\n{done.stderr[-2000:]}")
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(
                f"{backend:12s} {batch_size:5d} "
                f"{row['step_ms_median']:13.0f}, {row['step_ms_p95']:8.0f} "
                f"{row['faces_per_s']:8.0f} {row['epoch_s']:10.0f}"
            )
    if args.json:
        args.json.write_text(
            json.dumps({"cpu_count": os.cpu_count(), "runs": rows}, indent=2) + "\n"
        )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
