"""Does fine-tuning the whole scene network on fresh views beat the shipped model?

    .venv/bin/python benchmarks/scene_whole_network.py --from-block 0
    .venv/bin/python benchmarks/scene_whole_network.py --from-block 6 \
        --learning-rate 5e-5 --mixup 0.4 --epochs 10 --head-epochs 3

`train_scene_model` fits only the upper blocks (11 on) on 8 views of each
photo cached once. This script fits EfficientNet-Lite0 from `--from-block` on
(0: every block; batch norms stay frozen, as in the shipped recipe) on a fresh
random view of every training photo each epoch (`ml_training.scene.data.
augment`, optionally mixed up), after `--head-epochs` of the mood layer alone
on the same views. It prints one line an epoch: training accuracy and loss,
accuracy on the group-wise validation photos (each alone, and averaged with
its mirror), and the epoch's seconds, training and validation included.

Needs the converted ImageNet weights (requirements-training.txt, for torch);
they are kept in --weights. A validation accuracy here has a standard error
of about 2.3 points (470 photos), and the best of many epochs is optimistic.
"""

import argparse
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402

harness.setup_django()

import keras  # noqa: E402
import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402

from ml_training.scene import backbone  # noqa: E402
from ml_training.scene.data import augment, load_originals, load_scenes  # noqa: E402
from ml_training.scene.model import assemble, set_trainable  # noqa: E402
from ml_training.scene.training import cosine_rate  # noqa: E402
from music.mood import MOODS  # noqa: E402

BATCH = 32


class FreshViews(keras.utils.PyDataset):
    """Each epoch, a new random view of every training photo, seeded by
    (seed, epoch, photo); with `mixup`, each batch blended with a shuffled
    copy of itself, photos and labels alike, by one Beta(mixup, mixup) share."""

    def __init__(self, originals, labels, seed, mixup):
        super().__init__()
        self.originals, self.labels = originals, labels
        self.seed, self.mixup, self.epoch = seed, mixup, 0
        self._shuffle()

    def _shuffle(self):
        self.order = np.random.default_rng([self.seed, self.epoch]).permutation(
            len(self.labels)
        )

    def __len__(self):
        return math.ceil(len(self.labels) / BATCH)

    def __getitem__(self, i):
        rows = self.order[i * BATCH : (i + 1) * BATCH]
        x = np.stack(
            [
                augment(
                    self.originals[r], np.random.default_rng([self.seed, self.epoch, r])
                )
                for r in rows
            ]
        ).astype("float32")
        y = keras.utils.to_categorical(self.labels[rows], len(MOODS))
        if self.mixup:
            rng = np.random.default_rng([self.seed, self.epoch, i, len(rows)])
            share, partner = (
                rng.beta(self.mixup, self.mixup),
                rng.permutation(len(rows)),
            )
            x = share * x + (1 - share) * x[partner]
            y = share * y + (1 - share) * y[partner]
        return x, y

    def on_epoch_end(self):
        self.epoch += 1
        self._shuffle()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=settings.SHARED_DATA_DIR / "scenes"
    )
    parser.add_argument(
        "--weights",
        type=Path,
        default=REPO
        / "saved_models/runs/scene_whole"
        / "efficientnet_lite0_imagenet.weights.h5",
    )
    parser.add_argument("--from-block", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--head-epochs", type=int, default=4)
    parser.add_argument("--mixup", type=float, default=0.0, help="Beta(a, a); 0: none")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    if not args.weights.exists():
        args.weights.parent.mkdir(parents=True, exist_ok=True)
        backbone.convert_weights(args.weights)
    scenes = load_scenes(args.data)
    _, y_train, rows_train = scenes.part(validation=False)
    x_val, y_val, _ = scenes.part(validation=True)
    imagenet = backbone.build_backbone()
    imagenet.load_weights(args.weights)
    model = assemble(imagenet)  # every layer but the new mood layer from ImageNet
    keras.utils.set_random_seed(args.seed)
    views = FreshViews(
        load_originals(args.data, rows_train), y_train, args.seed, args.mixup
    )

    def validation_accuracy():
        photos = model.predict(x_val.astype("float32"), batch_size=64, verbose=0)
        mirrors = model.predict(
            x_val[:, :, ::-1].astype("float32"), batch_size=64, verbose=0
        )
        return (
            float((photos.argmax(1) == y_val).mean()),
            float(((photos + mirrors).argmax(1) == y_val).mean()),
        )

    rows = []
    phases = [("head", backbone.BLOCK_COUNT + 1, 1e-3, args.head_epochs)]
    phases.append(
        (
            f"from block {args.from_block}",
            args.from_block,
            args.learning_rate,
            args.epochs,
        )
    )
    for phase, from_block, rate, epochs in phases:
        set_trainable(model, from_block)
        model.compile(
            optimizer=keras.optimizers.AdamW(rate, weight_decay=1e-4),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
            metrics=["accuracy"],
        )
        for epoch in range(epochs):
            model.optimizer.learning_rate.assign(cosine_rate(rate, epoch, epochs))
            began = time.monotonic()
            history = model.fit(views, epochs=1, verbose=0).history
            alone, with_mirror = validation_accuracy()
            views.on_epoch_end()
            rows.append(
                {
                    "phase": phase,
                    "epoch": f"{epoch + 1}/{epochs}",
                    "train acc": f"{history['accuracy'][0]:.1%}",
                    "train loss": f"{history['loss'][0]:.3f}",
                    "val acc": f"{alone:.1%}",
                    "val acc with mirror": f"{with_mirror:.1%}",
                    "s": f"{time.monotonic() - began:.0f}",
                }
            )
            print(
                " ".join(f"{k} {v}" for k, v in rows[-1].items()),
                file=sys.stderr,
                flush=True,
            )
    harness.print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
