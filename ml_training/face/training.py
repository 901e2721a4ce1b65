"""Training the emotion model: data → model → fit with checkpoints → evaluate → publish.

A run checkpoints every epoch into `checkpoint_dir` (model with optimizer
state plus a JSON of where it stands), so `resume=True` continues an
interrupted run, on this machine or another backend. The shipped files in
`output_dir` are replaced only at the very end, all together, after every
one of them was written: a crashed or interrupted run leaves them as they were.
"""

import json
import math
import os
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import h5py
import keras
import numpy as np

from faces.emotions import (
    CONFUSION_FILE,
    CURVES_FILE,
    EMOTIONS,
    TFLITE_FILE,
)
from faces.emotions import KERAS_FILE as MODEL_FILE
from faces.emotions import METRICS_FILE as REPORT_FILE
from ml_training import artifacts
from ml_training.face import evaluation
from ml_training.face.data import FerBatches, load_fer2013
from ml_training.face.model import (
    ARCHITECTURES,
    build_emotion_model,
    load_imagenet_weights,
)

DEFAULT_ARCHITECTURE = ARCHITECTURES["compact"]
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FaceTrainingConfig:
    data: Path
    output_dir: Path
    checkpoint_dir: Path
    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 2e-3
    warmup_epochs: int = 2
    patience: int = 12
    seed: int = 1337
    label_smoothing: float = 0.1
    # Disgust has 436 of 28,709 faces: weight classes by (max/count)**power;
    # 0 means no weighting, 1 fully balanced.
    class_weight_power: float = 0.5
    # The share of training faces that get a random rectangle blanked out with
    # noise (random erasing); 0 for the shipped compact model's recipe.
    random_erasing: float = 0.0
    # The share of training faces that get a photo's artefacts (gamma, blur,
    # JPEG; data.augment_batch); 0 for the shipped compact model's recipe.
    photo_artefacts: float = 0.0
    # Mixup (Zhang et al. 2018): each face blended with another face of its
    # batch, the targets and weights alike, by a share drawn from
    # Beta(mixup, mixup); 0 for none. A small value (0.2) keeps most blends
    # close to one face, so the model still sees faces, not ghosts.
    mixup: float = 0.0
    architecture: dict = field(default_factory=lambda: dict(DEFAULT_ARCHITECTURE))
    # Knowledge distillation: a models folder (saved_models/ or a member's)
    # whose reading as served, mirror included, gives every training face soft
    # targets; `distillation` is their share of the target beside the one-hot
    # label (0: no teacher). The targets are computed once per run and kept in
    # the checkpoint folder, so a resumed run learns from the very same ones.
    teacher: Path | None = None
    distillation: float = 0.0
    # A trained model folder (same architecture) whose weights the run starts
    # from instead of random ones: a new schedule on a finished member.
    start_from: Path | None = None
    resume: bool = False
    export_tflite: bool = True
    verbose: int = 1

    def to_json(self):
        """The config as JSON, paths relative to the repo so reports are portable."""
        data = asdict(self)
        for key in ("data", "output_dir", "checkpoint_dir", "teacher", "start_from"):
            if data[key] is not None:
                data[key] = os.path.relpath(Path(data[key]).resolve(), REPO_ROOT)
        return data


# What a run's report tells of how it trained (the rest of a config says where
# files are and how to run, which differ between machines).
RECIPE_FIELDS = (
    "epochs",
    "batch_size",
    "learning_rate",
    "warmup_epochs",
    "patience",
    "seed",
    "label_smoothing",
    "class_weight_power",
    "random_erasing",
    "photo_artefacts",
    "mixup",
    "teacher",
    "distillation",
    "start_from",
)
TEACHER_FILE = "teacher_probabilities.npy"


def learning_rate_at(epoch, config):
    """Linear warm-up, then cosine decay to 1% over the planned epochs."""
    if epoch < config.warmup_epochs:
        return config.learning_rate * (epoch + 1) / config.warmup_epochs
    span = max(config.epochs - config.warmup_epochs, 1)
    progress = min((epoch - config.warmup_epochs) / span, 1.0)
    return config.learning_rate * (
        0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))
    )


def class_weights(labels, power):
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype("float64")
    weights = (counts.max() / np.maximum(counts, 1)) ** power
    return weights / weights[labels].mean()


class WeightedBatches(FerBatches):
    """FerBatches with a weight per face by its label's class, with a teacher
    targets that blend the teacher's probabilities into the labels, and with
    `mixup` faces blended in pairs (after the augmentation)."""

    def __init__(
        self,
        *args,
        weights,
        soft_targets=None,
        distillation=0.0,
        mixup=0.0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.weights = weights.astype("float32")
        self.soft_targets, self.distillation = soft_targets, distillation
        self.mixup = mixup

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        rows = self.rows(i)
        if self.soft_targets is not None:
            y = (1 - self.distillation) * y + self.distillation * self.soft_targets[
                rows
            ].astype("float32")
        weights = self.weights[self.labels[rows]]
        if self.mixup:
            x, y, weights = self._mix(i, x, y, weights)
        return x, y, weights

    def _mix(self, i, x, y, weights):
        # Its own generator, a function of (seed, epoch, batch) like the
        # augmentation's, so a resumed run mixes the very same pairs.
        rng = np.random.default_rng((self.seed, self.epoch, i, 1))
        partner = rng.permutation(len(x))
        share = rng.beta(self.mixup, self.mixup, len(x)).astype("float32")
        mixed_x = (
            share[:, None, None, None] * x
            + (1 - share[:, None, None, None]) * x[partner]
        )
        mixed_y = share[:, None] * y + (1 - share[:, None]) * y[partner]
        mixed_weights = share * weights + (1 - share) * weights[partner]
        return mixed_x, mixed_y, mixed_weights


def teacher_probabilities(config, images):
    """The teacher's reading of the training faces, computed once a run: a
    resumed run reads it back; a new run in the same folder computes its own
    (the file may be an earlier run's, from another teacher)."""
    path = Path(config.checkpoint_dir) / TEACHER_FILE
    if config.resume and path.exists():
        return np.load(path)
    from faces.classifier import EmotionClassifier

    print(f"Reading {len(images):,} training faces with {config.teacher}", flush=True)
    classifier = EmotionClassifier(models_dir=config.teacher, allow_keras=True)
    probabilities = classifier.predict_proba(images).astype("float32")
    np.save(path, probabilities)
    return probabilities


def save_model_weights(model, path):
    """The model's weights without the optimizer's state, which Keras saves
    with them: publishing needs only the weights, and the optimizer's two
    moments would triple the file a run in progress commits (resuming reads
    the optimizer from last.keras). Loads under any backend, compiled or not."""
    path = Path(path)
    full = path.with_name("unslimmed." + path.name)
    model.save_weights(full)
    with h5py.File(full, "r") as source, h5py.File(path, "w") as slim:
        slim.attrs.update(source.attrs)
        for name in source:
            if name != "optimizer":
                source.copy(source[name], slim, name=name)
    full.unlink()


class CheckpointEachEpoch(keras.callbacks.Callback):
    """Saves the last and best states each epoch; stops after `patience` flat epochs."""

    def __init__(self, checkpoint_dir, state, patience):
        super().__init__()
        self.dir = Path(checkpoint_dir)
        self.state = state
        self.patience = patience

    def on_train_begin(self, logs=None):
        self.started = time.monotonic()
        self.seconds_before = self.state["seconds"]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        # Counted each epoch: a run cut off on a lent machine still tells its time.
        self.state["seconds"] = self.seconds_before + time.monotonic() - self.started
        for key, value in logs.items():
            self.state["history"].setdefault(key, []).append(float(value))
        val_accuracy = float(logs.get("val_accuracy", 0.0))
        if val_accuracy > self.state["best_val_accuracy"]:
            self.state["best_val_accuracy"] = val_accuracy
            self.state["best_epoch"] = epoch + 1
            save_model_weights(self.model, self.dir / "best.weights.h5")
        self.state["epochs_done"] = epoch + 1
        self.model.save(self.dir / "last.keras")
        # The state file goes last: it never points past what was saved.
        artifacts.write_json(self.dir / "state.json", self.state)
        if epoch + 1 - self.state["best_epoch"] >= self.patience:
            self.model.stop_training = True


def _compile(model, config):
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=keras.losses.CategoricalCrossentropy(
            label_smoothing=config.label_smoothing
        ),
        metrics=["accuracy"],
    )


def _start_or_resume(config):
    checkpoint_dir = Path(config.checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    state_path = checkpoint_dir / "state.json"
    if config.resume:
        if not state_path.exists():
            raise FileNotFoundError(f"Nothing to resume: {state_path} does not exist.")
        state = json.loads(state_path.read_text())
        if state["architecture"] != config.architecture:
            raise ValueError(
                f"The checkpoint in {checkpoint_dir} was trained with another "
                "architecture: resume with the same --architecture."
            )
        model = keras.saving.load_model(checkpoint_dir / "last.keras")
        return model, state
    keras.utils.set_random_seed(config.seed)
    model = build_emotion_model(**config.architecture)
    if config.start_from is not None:
        _start_from_trained(model, config)
    elif config.architecture.get("backbone") == "efficientnet_lite0":
        _start_from_imagenet(model, checkpoint_dir)
    _compile(model, config)
    state = {
        "architecture": config.architecture,
        "epochs_done": 0,
        "best_epoch": 0,
        "best_val_accuracy": 0.0,
        "history": {},
        "seconds": 0.0,
        "backend": keras.backend.backend(),
        "config": config.to_json(),
    }
    return model, state


def _start_from_trained(model, config):
    folder = Path(config.start_from)
    report_path = folder / REPORT_FILE
    if not report_path.is_file():
        raise FileNotFoundError(f"Nothing to start from: {report_path} does not exist.")
    if json.loads(report_path.read_text())["architecture"] != config.architecture:
        raise ValueError(
            f"{folder} holds another architecture: start from it with the same "
            "--architecture."
        )
    trained = keras.saving.load_model(folder / MODEL_FILE, compile=False)
    model.set_weights(trained.get_weights())


def _start_from_imagenet(model, checkpoint_dir):
    """ImageNet weights into the pretrained model's trunk, converted once from
    the registry's .pth (needs torch: requirements-training.txt)."""
    from ml_training.scene import backbone

    weights = checkpoint_dir / "efficientnet_lite0_imagenet.weights.h5"
    if not weights.exists():
        backbone.convert_weights(weights)
    copied = load_imagenet_weights(model, weights)
    print(f"ImageNet weights for {copied} layers from {weights}", flush=True)


def export_tflite(model, path, calibration_faces=None):
    """LiteRT flatbuffer for serving; needs the TensorFlow backend's converter.

    With calibration_faces (uint8 (N, 48, 48)), weights and activations are
    stored as int8, their ranges measured on those faces; the file still takes
    and answers float32, so the runtime reads it as it reads a float one.
    """
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if calibration_faces is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: (
            [face.astype(np.float32)[np.newaxis, ..., np.newaxis]]
            for face in calibration_faces
        )
    Path(path).write_bytes(converter.convert())


def export_shipped_model(output_dir):
    """Convert the shipped .keras model into the .tflite the site serves, in place.

    For a model trained under the torch or JAX backend, whose run could not
    export: run this once under TensorFlow. The report is updated to match.
    """
    output_dir = Path(output_dir)
    model_path = output_dir / MODEL_FILE
    if not model_path.exists():
        raise FileNotFoundError(f"No model to export: {model_path} does not exist.")
    model = keras.saving.load_model(model_path, compile=False)
    report_path = output_dir / REPORT_FILE
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    report["tflite"] = TFLITE_FILE
    artifacts.write_together(
        output_dir,
        {
            TFLITE_FILE: lambda path: export_tflite(model, path),
            REPORT_FILE: lambda path: artifacts.write_json(path, report),
        },
    )
    return output_dir / TFLITE_FILE


def _clean_copy(model, architecture):
    """The same layers and weights without optimizer state: a third of the size."""
    clean = build_emotion_model(**architecture)
    clean.set_weights(model.get_weights())
    return clean


def _begin_epoch(model, batches, seed, epoch):
    """Make the epoch's randomness a function of (seed, epoch) alone: the data
    order and augmentation, and dropout's masks, whose generator state a saved
    model does not keep. A resumed run then trains exactly as an unbroken one."""
    batches.set_epoch(epoch)
    for layer in model._flatten_layers():
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(
                np.array(
                    [(seed * 1009 + epoch) % 2**31, 0], dtype=generator.state.dtype
                )
            )


def train_face_model(config, splits=None):
    """Run (or resume) a training run and publish the model; returns the report."""
    splits = splits or load_fer2013(config.data)
    model, state = _start_or_resume(config)
    weights = class_weights(splits.y_train, config.class_weight_power)
    soft_targets = (
        teacher_probabilities(config, splits.x_train)
        if config.teacher is not None and config.distillation > 0
        else None
    )
    batches = WeightedBatches(
        splits.x_train,
        splits.y_train,
        batch_size=config.batch_size,
        seed=config.seed,
        weights=weights[np.arange(len(EMOTIONS))],
        soft_targets=soft_targets,
        distillation=config.distillation,
        mixup=config.mixup,
        random_erasing=config.random_erasing,
        photo_artefacts=config.photo_artefacts,
    )
    y_val = keras.utils.to_categorical(splits.y_val, len(EMOTIONS))
    if state["epochs_done"] < config.epochs and not _patience_exhausted(state, config):
        model.fit(
            batches,
            validation_data=(splits.x_val[..., None].astype("float32"), y_val),
            epochs=config.epochs,
            initial_epoch=state["epochs_done"],
            # The batches shuffle themselves per (seed, epoch); Keras's own
            # shuffle of batch order would draw from a generator a resumed run
            # cannot restore.
            shuffle=False,
            callbacks=[
                keras.callbacks.LambdaCallback(
                    on_epoch_begin=lambda epoch, logs: _begin_epoch(
                        model, batches, config.seed, epoch
                    )
                ),
                keras.callbacks.LearningRateScheduler(
                    lambda epoch: learning_rate_at(epoch, config)
                ),
                CheckpointEachEpoch(config.checkpoint_dir, state, config.patience),
            ],
            verbose=config.verbose,
        )
    best = Path(config.checkpoint_dir) / "best.weights.h5"
    if best.exists():
        with warnings.catch_warnings():
            # The best weights hold no optimizer state (save_model_weights);
            # nothing trains after this load, so Keras's warning is noise.
            warnings.filterwarnings("ignore", "Skipping variable loading for optimizer")
            model.load_weights(best)
    return _evaluate_and_publish(model, state, splits, config)


def publish_checkpoint(config, splits=None):
    """Publish the best weights of a run trained elsewhere (a GPU machine under
    another backend) from what its checkpoint folder holds: state.json and
    best.weights.h5, which load under any backend. Re-measured on PublicTest
    here; the report keeps the run's own configuration and backend."""
    checkpoint_dir = Path(config.checkpoint_dir)
    state_path, best = checkpoint_dir / "state.json", checkpoint_dir / "best.weights.h5"
    for path in (state_path, best):
        if not path.exists():
            raise FileNotFoundError(f"Nothing to publish: {path} does not exist.")
    state = json.loads(state_path.read_text())
    splits = splits or load_fer2013(config.data)
    model = build_emotion_model(**state["architecture"])
    model.load_weights(best)
    run = replace(
        config,
        architecture=state["architecture"],
        **{
            key: value
            for key, value in state.get("config", {}).items()
            if key in RECIPE_FIELDS
        },
    )
    return _evaluate_and_publish(model, state, splits, run)


def face_sets(splits, data_path):
    """PublicTest, and CK+ when it lies beside FER2013 (shared/data)."""
    sets = [evaluation.FaceSet("PublicTest", splits.x_val, splits.y_val)]
    ckplus = evaluation.default_ckplus_path(data_path)
    if ckplus.is_file():
        sets.append(evaluation.load_ckplus(ckplus))
    return sets


def _evaluate_and_publish(model, state, splits, config):
    metrics = evaluation.measure_reading(
        evaluation.keras_reading(model), face_sets(splits, config.data)
    )
    report = _report(config, state, splits, model, metrics)
    _publish(model, report, state, config)
    return report


def _patience_exhausted(state, config):
    return state["epochs_done"] - state["best_epoch"] >= config.patience


def _report(config, state, splits, model, metrics):
    return {
        "version": f"{time.strftime('%Y%m%d-%H%M%S')}-{splits.sha256[:8]}",
        "model": (
            "EfficientNet-Lite0 (ImageNet)"
            if config.architecture.get("backbone") == "efficientnet_lite0"
            else "trimmed Xception"
        ),
        "architecture": config.architecture,
        "parameters": int(model.count_params()),
        "emotions": list(EMOTIONS),
        "public_test_accuracy": metrics["PublicTest"]["accuracy"],
        "per_class": metrics["PublicTest"]["per_class"],
        "confusion_matrix": metrics["PublicTest"]["confusion_matrix"],
        "expected_calibration_error": metrics["PublicTest"][
            "expected_calibration_error"
        ],
        "ckplus": metrics.get("CK+"),
        "epochs_trained": state["epochs_done"],
        "best_epoch": state["best_epoch"],
        "training_seconds": round(state["seconds"], 1),
        "backend": state.get("backend", keras.backend.backend()),
        "data_sha256": splits.sha256,
        "train_size": int(len(splits.y_train)),
        "public_test_size": int(len(splits.y_val)),
        "git_commit": artifacts.git_commit(),
        "config": config.to_json(),
    }


def _publish(model, report, state, config):
    clean = _clean_copy(model, config.architecture)
    export = config.export_tflite and keras.backend.backend() == "tensorflow"
    report["tflite"] = TFLITE_FILE if export else None
    accuracy = report["public_test_accuracy"]
    writers = {
        MODEL_FILE: clean.save,
        CONFUSION_FILE: lambda path: artifacts.plot_confusion_matrix(
            report["confusion_matrix"],
            EMOTIONS,
            path,
            title=f"Emotion model on PublicTest: accuracy {accuracy:.1%}",
        ),
        CURVES_FILE: lambda path: artifacts.plot_training_curves(
            state["history"], path, "Emotion model (validation: PublicTest)"
        ),
        REPORT_FILE: lambda path: artifacts.write_json(path, report),
    }
    if export:
        writers[TFLITE_FILE] = lambda path: export_tflite(clean, path)
    artifacts.write_together(config.output_dir, writers)
