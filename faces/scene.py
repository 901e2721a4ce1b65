"""The scene-mood model's runtime: the mood of a whole photo, for photos without faces.

The model (EfficientNet-Lite0 from ImageNet, fine-tuned on OASIS and Emotion6
photos by ml_training/scene) is shipped in settings.MODELS_DIR as
``scene_model.tflite`` with ``scene_model.json`` (its report and version). It
takes float32 (N, 224, 224, 3) raw 0..255 RGB (it scales inside) and returns a
softmax over music.mood.MOODS. LiteRT runs it: no TensorFlow in a web worker.
The interpreter is loaded on first use, once per process.
"""

import json
import logging
import threading
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings

from music.moods import MOODS

logger = logging.getLogger(__name__)

TFLITE_FILE = "scene_model.tflite"
REPORT_FILE = "scene_model.json"
IMAGE_SIZE = 224
# One thread: a web worker serves one photo at a time and shares the CPU with
# the others; the model reads a photo in well under the 40 ms budget with it.
DEFAULT_NUM_THREADS = 1
# Photos per interpreter run: 224x224 activations of bigger batches spill out
# of cache and cost more per photo.
MAX_BATCH = 8


class SceneModelNotAvailable(RuntimeError):
    """The scene model file is missing or unreadable."""


def to_model_input(image):
    """uint8 RGB (H, W, 3) of any size -> uint8 (224, 224, 3), squashed.

    Squashed rather than cropped: a scene's edges carry its mood too, and a
    20:1 panorama keeps all of itself. The training code uses this function
    too, so photos are shaped the same way in both.
    """
    height, width = image.shape[:2]
    shrinking = height > IMAGE_SIZE or width > IMAGE_SIZE
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE), interpolation=interpolation)


def validate_image(image):
    """One photo as uint8 RGB (H, W, 3); a gray (H, W) or (H, W, 1) one is
    turned into RGB. Anything else raises ValueError saying what is wrong."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"a photo must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(
            f"a photo must be uint8 (0..255), got {image.dtype}: scale 16-bit "
            "or float pixels to 8 bits first"
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        image = np.repeat(image[:, :, np.newaxis], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"a photo must be RGB (H, W, 3) or gray (H, W), got shape {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"a photo must have pixels, got shape {image.shape}")
    return image


class _Runner:
    """One LiteRT interpreter; invocations are serialised (it is not thread-safe)."""

    def __init__(self, path, num_threads):
        from ai_edge_litert.interpreter import Interpreter

        try:
            self.interpreter = Interpreter(
                model_path=str(path), num_threads=num_threads
            )
            self.interpreter.allocate_tensors()
        except Exception as error:  # LiteRT raises ValueError or RuntimeError
            raise SceneModelNotAvailable(
                f"The scene model {path} could not be loaded: {error}"
            ) from error
        (source,) = self.interpreter.get_input_details()
        (target,) = self.interpreter.get_output_details()
        expected = (IMAGE_SIZE, IMAGE_SIZE, 3)
        if (
            source["dtype"] != np.float32
            or tuple(source["shape"][1:]) != expected
            or tuple(target["shape"][1:]) != (len(MOODS),)
        ):
            raise SceneModelNotAvailable(
                f"The scene model {path} takes {tuple(source['shape'])} "
                f"{source['dtype'].__name__} and returns {tuple(target['shape'])}; "
                "expected float32 (N, 224, 224, 3) -> (N, 4)."
            )
        self.input_index, self.output_index = source["index"], target["index"]
        self.batch_size = int(source["shape"][0])
        self.lock = threading.Lock()

    def _run(self, batch):
        if len(batch) != self.batch_size:
            self.interpreter.resize_tensor_input(self.input_index, batch.shape)
            self.interpreter.allocate_tensors()
            self.batch_size = len(batch)
        self.interpreter.set_tensor(self.input_index, batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_index).copy()

    def __call__(self, batch):
        with self.lock:
            return np.concatenate(
                [
                    self._run(batch[start : start + MAX_BATCH])
                    for start in range(0, len(batch), MAX_BATCH)
                ]
            )


# Loaded models, one per model file (and version of it) per process.
_runners = {}
_runners_lock = threading.Lock()


def _load_runner(path, num_threads):
    key = (str(path), path.stat().st_mtime_ns, num_threads)
    with _runners_lock:
        if key not in _runners:
            logger.info("Loading the scene model from %s", path)
            runner = _Runner(path, num_threads)
            for old_key in [k for k in _runners if k[0] == key[0]]:
                del _runners[old_key]
            _runners[key] = runner
        return _runners[key]


def clear_cache():
    """Forget the loaded models (tests; a process normally keeps them)."""
    with _runners_lock:
        _runners.clear()


def read_version(models_dir):
    try:
        report = json.loads((Path(models_dir) / REPORT_FILE).read_text())
    except (OSError, ValueError):
        return "unknown"
    return (
        str(report.get("version", "unknown")) if isinstance(report, dict) else "unknown"
    )


class SceneMoodClassifier:
    """The mood of whole photos, in MOODS order.

    Cheap to construct: the interpreter is loaded on the first prediction and
    then shared by every instance in the process.
    """

    def __init__(self, models_dir=None, *, num_threads=DEFAULT_NUM_THREADS):
        self.models_dir = Path(models_dir or settings.MODELS_DIR)
        self.num_threads = num_threads
        self.model_path = self.models_dir / TFLITE_FILE

    @property
    def version(self):
        return read_version(self.models_dir)

    def _runner(self):
        if not self.model_path.is_file():
            raise SceneModelNotAvailable(
                f"The scene model is not installed: {TFLITE_FILE} is not in "
                f"{self.models_dir}. Train it with `python manage.py "
                "train_scene_model` or copy the shipped model files there."
            )
        return _load_runner(self.model_path, self.num_threads)

    def predict_proba(self, images):
        """A list of uint8 RGB (H, W, 3) photos, any size -> float32 (N, 4)."""
        images = [validate_image(image) for image in images]
        if not images:
            return np.zeros((0, len(MOODS)), np.float32)
        batch = np.stack([to_model_input(image) for image in images])
        return self._runner()(batch.astype(np.float32))

    def predict(self, images):
        """The most likely mood of each photo."""
        return [MOODS[i] for i in self.predict_proba(images).argmax(axis=1)]
