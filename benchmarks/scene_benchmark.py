"""The scene-mood model against its baselines, on the group-wise validation split.

    .venv/bin/python benchmarks/scene_benchmark.py [--data DIR] [--oasis-only]

One run, one table: the majority class; colour statistics (HSV histograms,
brightness, saturation) + logistic regression; frozen ImageNet
EfficientNet-Lite0 features + logistic regression; and the shipped model
(saved_models/scene_model.tflite through faces.scene, as the site runs it).
Each row has accuracy, recall per mood, and ms per photo (median and p95, one
photo per call, one thread, from the decoded photo at its stored size).
A second table says where each method errs: accuracy on the third of the
photos nearest a quadrant boundary (labels.csv's `margin`, the distance of the
ratings from the nearer axis), the middle and the furthest third, and how
often each method puts a photo on the right side of each axis (valence,
arousal) whatever the quadrant.

The baselines fit on the training groups and are measured on the validation
groups that ml_training.scene.data picks (a hash of `group`), the split the
shipped model's report uses. The project's kept-back test split is not here.
The frozen features need the converted ImageNet weights, which
`manage.py train_scene_model` leaves in saved_models/checkpoints/scene/ (or
requirements-training.txt to convert them here).
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
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from tqdm import tqdm  # noqa: E402

from faces.scene import SceneMoodClassifier, to_model_input  # noqa: E402
from ml_training.scene.data import load_originals, read_labels  # noqa: E402
from music.mood import MOODS  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "scenes"
CHECKPOINTS = settings.MODELS_DIR / "checkpoints" / "scene"
# Strong regularisation: 1,900 photos against 1,280 features (chosen by a
# 5-fold group-wise cross-validation on the training groups, C in 1e-4..3e-2).
FEATURE_C = 3e-4
COLOUR_C = 0.1


def colour_statistics(image):
    """HSV histograms (hue 18, saturation 8, value 8 bins) plus mean and spread
    of brightness and saturation: what a photo's colours alone say."""
    hsv = cv2.cvtColor(cv2.resize(image, (128, 128)), cv2.COLOR_RGB2HSV)
    parts = [
        cv2.calcHist([hsv], [channel], None, [bins], [0, top]).ravel() / (128 * 128)
        for channel, bins, top in ((0, 18, 180), (1, 8, 256), (2, 8, 256))
    ]
    saturation, value = hsv[..., 1] / 255.0, hsv[..., 2] / 255.0
    extra = [value.mean(), value.std(), saturation.mean(), saturation.std()]
    return np.concatenate([*parts, extra]).astype("float32")


def timed(function, photos):
    """function(photo) for each photo -> (outputs, ms per photo)."""
    outputs, ms = [], []
    for photo in tqdm(photos, leave=False):
        begin = time.perf_counter()
        outputs.append(function(photo))
        ms.append((time.perf_counter() - begin) * 1000)
    return outputs, np.array(ms)


def imagenet_features():
    """photo -> 1280 pooled ImageNet features, TensorFlow on one thread."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from ml_training.scene.training import SceneTrainingConfig, imagenet_trunk

    config = SceneTrainingConfig(
        data=DEFAULT_DATA, output_dir=settings.MODELS_DIR, checkpoint_dir=CHECKPOINTS
    )
    _, model = imagenet_trunk(config)

    def extract(photo):
        pixels = to_model_input(photo)[np.newaxis].astype("float32")
        return np.asarray(model(pixels, training=False))[0]

    def extract_many(photos):
        pixels = np.stack([to_model_input(photo) for photo in photos])
        return model.predict(pixels.astype("float32"), batch_size=32, verbose=0)

    extract.many = extract_many
    return extract


# The data's mood mapping (its README): which moods lie on the pleasant side
# of valence and on the high side of arousal.
PLEASANT = {MOODS.index("calm"), MOODS.index("happy")}
AROUSED = {MOODS.index("happy"), MOODS.index("energetic")}


def row(name, predicted, labels, ms=None):
    result = {
        "method": name,
        "accuracy": f"{(predicted == labels).mean():.1%}",
    }
    for index, mood in enumerate(MOODS):
        result[f"recall {mood}"] = f"{(predicted[labels == index] == index).mean():.0%}"
    if ms is not None:
        result["ms median"] = f"{np.median(ms):.1f}"
        result["ms p95"] = f"{np.percentile(ms, 95):.1f}"
    return result


def error_row(name, predicted, labels, rows):
    """Accuracy by distance from a quadrant boundary, and per axis."""
    result = {"method": name}
    right = predicted == labels
    margin = rows["margin"].abs().to_numpy()
    edges = np.quantile(margin, [0, 1 / 3, 2 / 3, 1])
    thirds = np.clip(np.searchsorted(edges, margin, side="right") - 1, 0, 2)
    for third, title in enumerate(("nearest", "middle", "furthest")):
        low, high = edges[third], edges[third + 1]
        column = f"{title} third ({low:.2f}-{high:.2f})"
        result[column] = f"{right[thirds == third].mean():.1%}"
    for axis, side, column in (
        (PLEASANT, rows["valence_norm"], "valence side"),
        (AROUSED, rows["arousal_norm"], "arousal side"),
    ):
        # A rating exactly at the neutral point counts as high (the README).
        truth = side.to_numpy() >= 0
        read = np.isin(predicted, list(axis))
        result[column] = f"{(read == truth).mean():.1%} (high {truth.mean():.0%})"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--oasis-only", action="store_true")
    args = parser.parse_args()
    rows = read_labels(args.data, oasis_only=args.oasis_only)
    photos = load_originals(args.data, rows)
    labels = rows["mood"].map(MOODS.index).to_numpy()
    val = rows["validation"].to_numpy()
    train_photos = [p for p, v in zip(photos, val, strict=True) if not v]
    val_photos = [p for p, v in zip(photos, val, strict=True) if v]
    y_train, y_val = labels[~val], labels[val]
    print(
        f"{len(rows)} photos: {len(train_photos)} training, {len(val_photos)} "
        f"validation ({rows[val]['group'].nunique()} groups); one thread, "
        "ms per photo from the decoded photo"
    )
    table, errors = [], []
    majority = np.bincount(y_train, minlength=len(MOODS)).argmax()
    table.append(
        row(f"majority ({MOODS[majority]})", np.full(len(y_val), majority), y_val)
    )

    for name, extract, c in (
        ("colour statistics + LR", colour_statistics, COLOUR_C),
        ("frozen EfficientNet-Lite0 + LR", imagenet_features(), FEATURE_C),
    ):
        # Training features in batches (untimed); validation one photo a call.
        many = getattr(extract, "many", None)
        x_train = (
            many(train_photos)
            if many
            else np.stack([extract(p) for p in tqdm(train_photos, desc=name)])
        )
        x_val, ms = timed(extract, val_photos)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
        model.fit(x_train, y_train)
        predicted = model.predict(np.stack(x_val))
        table.append(row(name, predicted, y_val, ms))
        errors.append(error_row(name, predicted, y_val, rows[val]))

    classifier = SceneMoodClassifier()
    classifier.predict_proba(val_photos[:1])  # the first call loads the model
    probabilities, ms = timed(lambda p: classifier.predict_proba([p])[0], val_photos)
    predicted = np.stack(probabilities).argmax(axis=1)
    name = f"shipped model ({classifier.version})"
    table.append(row(name, predicted, y_val, ms))
    errors.append(error_row(name, predicted, y_val, rows[val]))
    print()
    harness.print_table(table, list(table[-1]))
    print(
        "\nWhere they err: accuracy by distance from a quadrant boundary (thirds "
        "of |margin|), and how often the side of each axis is right (share of "
        "photos on its high side)\n"
    )
    harness.print_table(errors, list(errors[-1]))


if __name__ == "__main__":
    main()
