"""The emotion model's runtime: EMOTIONS and EmotionClassifier.

The model is trained by ml_training/face and shipped in settings.MODELS_DIR as
``emotion_model.tflite`` (LiteRT classifies a face in about half a ms and needs
no TensorFlow) and ``emotion_model.json`` holding its metrics and version.
``emotion_model.keras`` is loaded only when asked for (allow_keras, or
settings.EMOTION_MODEL_KERAS_FALLBACK): it pulls TensorFlow into the process
(728 MB a worker instead of 165 MB, measured), so a missing .tflite is
reported, never papered over. The model takes float32
(N, 48, 48, 1) raw 0..255 pixels (it rescales inside) and returns a softmax over
EMOTIONS, in that order.
"""

import json
import logging
import threading
from pathlib import Path

import numpy as np
from django.conf import settings

from faces.emotions import (  # noqa: F401
    EMOTIONS,
    FACE_SIZE,
    KERAS_FILE,
    METRICS_FILE,
    TFLITE_FILE,
)

# Re-exported: faces.classifier.EMOTIONS is part of the module's contract.
from faces.litert import LiteRTRunner, RunnerCache

logger = logging.getLogger(__name__)


# Measured on the 2-core dev machine (shared with training jobs) with the
# 397k-parameter trimmed Xception the face training was running: one face costs
# ~0.5 ms of CPU per face with one thread; a second thread was no faster (the
# model is too small to split) and would compete with the other workers.
DEFAULT_NUM_THREADS = 1
# Averaging with the mirrored face doubles that, for +0.8 points on PublicTest
# (67.2% -> 68.0%) and +1.7 on CK+ (66.8% -> 68.5%) with the single compact
# model: part of the shipped reading since the budget became 5 ms a face.
DEFAULT_FLIP_TTA = True
# Faces per interpreter run. Bigger runs cost more per face once activations
# spill out of cache (measured, CPU ms per face: 0.48 for 1-4 faces, 0.51 for
# 16, 0.60 for 64, 0.73 for 256), so big batches go through in small runs.
MAX_BATCH = 16


class ModelNotAvailable(RuntimeError):
    """The emotion model files are missing or unreadable.

    The message is for the operator's log (it names paths and commands);
    visitors get VISITOR_MESSAGE.
    """


class ModelFailed(ModelNotAvailable):
    """The model loaded but failed when run, or answered NaN or infinity."""


VISITOR_MESSAGE = (
    "Reading faces is unavailable right now. Please try again later; "
    "the site's team has been told."
)


class _LiteRTRunner(LiteRTRunner):
    what = "emotion model"
    unavailable = ModelNotAvailable
    max_batch = MAX_BATCH

    def check(self, path, source, target):
        if source["dtype"] != np.float32:
            # A quantized export would need its own input scaling.
            raise ModelNotAvailable(
                f"The emotion model {path} takes {source['dtype'].__name__} "
                "input; expected float32 pixels."
            )
        check_model_shapes(path, source["shape"], target["shape"])

    def __call__(self, batch):
        """float32 (N, 48, 48, 1) -> float32 (N, 7), each row summing to 1."""
        probabilities = super().__call__(batch)
        # An int8 file (publish_emotion_ensemble --int8) answers in steps of
        # 1/256, so a row can sum to 0.99 or 1.01: the bars must add up.
        return probabilities / probabilities.sum(axis=1, keepdims=True)


class _KerasRunner:
    """The fallback when only the .keras file is shipped (slower, needs TensorFlow)."""

    def __init__(self, path):
        import keras  # imported here: loading TensorFlow costs seconds and memory

        try:
            self.model = keras.saving.load_model(path, compile=False)
        except Exception as error:  # ValueError, OSError, BadZipFile, TypeError...
            raise ModelNotAvailable(
                f"The emotion model {path} could not be loaded: {error}"
            ) from error
        check_model_shapes(path, self.model.input_shape, self.model.output_shape)
        self.lock = threading.Lock()

    def __call__(self, batch):
        with self.lock:
            # Calling the model directly: predict() sets up a tf.data pipeline
            # per call, which costs far more than the model itself here.
            return np.asarray(self.model(batch, training=False), dtype=np.float32)


def check_model_shapes(path, input_shape, output_shape):
    if tuple(input_shape[1:]) != (FACE_SIZE, FACE_SIZE, 1) or tuple(
        output_shape[1:]
    ) != (len(EMOTIONS),):
        raise ModelNotAvailable(
            f"The emotion model {path} takes {tuple(input_shape)} and returns "
            f"{tuple(output_shape)}; expected (N, 48, 48, 1) -> (N, 7)."
        )


# Loaded models, one per model file (and version of it) per process.
_cache = RunnerCache("emotion model")
_runners = _cache.runners


def _build_runner(path, num_threads):
    if path.suffix == ".tflite":
        return _LiteRTRunner(path, num_threads)
    return _KerasRunner(path)


def _load_runner(path, num_threads):
    return _cache.load(path, num_threads, _build_runner)


def clear_cache():
    """Forget the loaded models (tests; a process normally keeps them)."""
    _cache.clear()


def read_version(models_dir):
    try:
        metrics = json.loads((models_dir / METRICS_FILE).read_text())
    except (OSError, ValueError):
        return "unknown"
    if not isinstance(metrics, dict):
        return "unknown"
    return str(metrics.get("version", "unknown"))


class EmotionClassifier:
    """Classifies 48x48 grayscale face crops into EMOTIONS.

    Cheap to construct: the model itself is loaded once per process and shared.
    ``flip_tta`` averages each face's probabilities with its mirror image's.
    """

    def __init__(
        self,
        models_dir=None,
        *,
        flip_tta=DEFAULT_FLIP_TTA,
        num_threads=None,
        allow_keras=None,
    ):
        self.models_dir = Path(models_dir or settings.MODELS_DIR)
        self.flip_tta = flip_tta
        if allow_keras is None:
            allow_keras = settings.EMOTION_MODEL_KERAS_FALLBACK
        self.allow_keras = allow_keras
        self.model_path = self._find_model_file()
        num_threads = num_threads or settings.LITERT_THREADS or DEFAULT_NUM_THREADS
        self.runner = _load_runner(self.model_path, num_threads)
        self.version = read_version(self.models_dir)

    def _find_model_file(self):
        if (self.models_dir / TFLITE_FILE).is_file():
            return self.models_dir / TFLITE_FILE
        if (self.models_dir / KERAS_FILE).is_file():
            if self.allow_keras:
                return self.models_dir / KERAS_FILE
            raise ModelNotAvailable(
                f"The emotion model's {TFLITE_FILE} is missing from "
                f"{self.models_dir}; only {KERAS_FILE} is there, and loading it "
                "would pull TensorFlow into every worker. Export the .tflite "
                "(python manage.py train_face_model --export-only), or set "
                "EMOTION_MODEL_KERAS_FALLBACK=true to accept the cost."
            )
        raise ModelNotAvailable(
            f"The emotion model is not installed: neither {TFLITE_FILE} nor "
            f"{KERAS_FILE} is in {self.models_dir}. Train it with `python manage.py "
            "train_face_model` or copy the shipped model files there."
        )

    def predict_proba(self, faces):
        """uint8 (N, 48, 48) grayscale faces -> float32 (N, 7) probabilities."""
        faces = validate_faces(faces)
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        batch = faces.astype(np.float32)[..., np.newaxis]
        if not self.flip_tta:
            return self._run(batch)
        both = self._run(np.concatenate([batch, batch[:, :, ::-1]]))
        return (both[: len(faces)] + both[len(faces) :]) / 2

    def _run(self, batch):
        """The runner's answer, or ModelFailed: a broken model is a 503, not a 500."""
        try:
            probabilities = self.runner(batch)
        except (RuntimeError, ValueError, TypeError) as error:
            raise ModelFailed(
                f"The emotion model {self.model_path} failed when run: {error}"
            ) from error
        if not np.isfinite(probabilities).all():
            raise ModelFailed(
                f"The emotion model {self.model_path} answered NaN or infinity."
            )
        return probabilities

    def predict(self, faces):
        """uint8 (N, 48, 48) faces -> the most likely emotion name of each."""
        return [EMOTIONS[i] for i in self.predict_proba(faces).argmax(axis=1)]


def validate_faces(faces):
    if not isinstance(faces, np.ndarray):
        raise ValueError(f"faces must be a numpy array, got {type(faces).__name__}")
    if faces.dtype != np.uint8:
        raise ValueError(f"faces must be uint8 (0..255 gray), got {faces.dtype}")
    if faces.ndim != 3 or faces.shape[1:] != (FACE_SIZE, FACE_SIZE):
        raise ValueError(f"faces must have shape (N, 48, 48), got {faces.shape}")
    return faces
