"""FER2013 loading and the training-time augmentation.

Augmentation is plain NumPy/OpenCV on uint8 batches so the training code stays
backend-neutral (it runs the same under TensorFlow, PyTorch or JAX Keras).
"""

from dataclasses import dataclass

import cv2
import keras
import numpy as np

from ml_training.artifacts import file_sha256

TRAINING, PUBLIC_TEST = 0, 1


@dataclass(frozen=True)
class FerSplits:
    x_train: np.ndarray  # uint8 (N, 48, 48)
    y_train: np.ndarray  # int (N,)
    x_val: np.ndarray
    y_val: np.ndarray
    sha256: str


def load_fer2013(path):
    """Training for fitting, PublicTest for choosing; PrivateTest is not in the file."""
    with np.load(path) as data:
        pixels, labels, usage = data["pixels"], data["emotion"], data["usage"]
    if pixels.ndim != 3 or pixels.shape[1:] != (48, 48):
        raise ValueError(f"{path}: expected pixels of shape (N, 48, 48)")
    train, val = usage == TRAINING, usage == PUBLIC_TEST
    return FerSplits(
        x_train=pixels[train],
        y_train=labels[train].astype("int64"),
        x_val=pixels[val],
        y_val=labels[val].astype("int64"),
        sha256=file_sha256(path),
    )


def augment_batch(images, rng):
    """Random flips, shifts, small rotations, zoom, brightness and contrast.

    Ranges follow common FER2013 practice: faces are already aligned crops, so
    geometric changes stay small (±10° rotation, ±10% shift and zoom).
    """
    out = np.empty_like(images)
    n = len(images)
    flips = rng.random(n) < 0.5
    angles = rng.uniform(-10, 10, n)
    scales = rng.uniform(0.9, 1.1, n)
    shifts = rng.uniform(-4.8, 4.8, (n, 2))
    for i, image in enumerate(images):
        matrix = cv2.getRotationMatrix2D((23.5, 23.5), angles[i], scales[i])
        matrix[:, 2] += shifts[i]
        warped = cv2.warpAffine(
            image,
            matrix,
            (48, 48),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        out[i] = warped[:, ::-1] if flips[i] else warped
    contrast = rng.uniform(0.8, 1.2, (n, 1, 1))
    brightness = rng.uniform(-20, 20, (n, 1, 1))
    mean = out.mean(axis=(1, 2), keepdims=True)
    adjusted = (out - mean) * contrast + mean + brightness
    return np.clip(adjusted, 0, 255).astype("uint8")


class FerBatches(keras.utils.PyDataset):
    """Shuffled, augmented, one-hot batches; reseeded per epoch for reproducibility."""

    def __init__(self, images, labels, *, batch_size, seed, augment=True, **kwargs):
        super().__init__(**kwargs)
        self.images, self.labels = images, labels
        self.batch_size, self.seed, self.augment = batch_size, seed, augment
        self.epoch = 0
        self._order()

    def _order(self):
        self.rng = np.random.default_rng((self.seed, self.epoch))
        self.index = (
            self.rng.permutation(len(self.images))
            if self.augment
            else np.arange(len(self.images))
        )

    def __len__(self):
        return int(np.ceil(len(self.images) / self.batch_size))

    def __getitem__(self, i):
        rows = self.index[i * self.batch_size : (i + 1) * self.batch_size]
        x = self.images[rows]
        if self.augment:
            x = augment_batch(x, self.rng)
        y = keras.utils.to_categorical(self.labels[rows], 7)
        return x[..., None].astype("float32"), y

    def on_epoch_end(self):
        self.epoch += 1
        self._order()
