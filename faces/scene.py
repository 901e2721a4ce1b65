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
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings

from faces.litert import LiteRTRunner, RunnerCache
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


class _Runner(LiteRTRunner):
    what = "scene model"
    unavailable = SceneModelNotAvailable
    max_batch = MAX_BATCH

    def check(self, path, source, target):
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


# Loaded models, one per model file (and version of it) per process.
_cache = RunnerCache("scene model")
_runners = _cache.runners


def _load_runner(path, num_threads):
    return _cache.load(path, num_threads, _Runner)


def clear_cache():
    """Forget the loaded models (tests; a process normally keeps them)."""
    _cache.clear()


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

    def __init__(self, models_dir=None, *, num_threads=None):
        self.models_dir = Path(models_dir or settings.MODELS_DIR)
        # getattr: training scripts run the scene model under bare settings.
        threads = num_threads or getattr(settings, "LITERT_THREADS", 0)
        self.num_threads = threads or DEFAULT_NUM_THREADS
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
