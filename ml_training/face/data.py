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


def augment_batch(images, rng, random_erasing=0.0, photo_artefacts=0.0):
    """Random flips, shifts, small rotations, zoom, brightness and contrast;
    for a `random_erasing` share of the faces a rectangle of noise, and for a
    `photo_artefacts` share what uploads do to a face (gamma, blur, JPEG).

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
    out = np.clip(adjusted, 0, 255).astype("uint8")
    if random_erasing:
        _erase_rectangles(out, rng, random_erasing)
    if photo_artefacts:
        _photo_artefacts(out, rng, photo_artefacts)
    return out


def _photo_artefacts(images, rng, share):
    """In place, for a `share` of the faces: what a phone photo or webcam frame
    does that FER2013's crops rarely show. Gamma 0.6-1.6 (under- and
    over-exposure), a blur of sigma 0.4-1.2 px at 48 px (a face upscaled from a
    small box, or out of focus) for a third, and JPEG at quality 20-80 (the
    block artefacts of a re-compressed upload) for half."""
    for i in np.flatnonzero(rng.random(len(images)) < share):
        image = images[i]
        gamma = np.exp(rng.uniform(np.log(0.6), np.log(1.6)))
        image = (255.0 * (image / 255.0) ** gamma).astype("uint8")
        if rng.random() < 1 / 3:
            image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.2))
        if rng.random() < 0.5:
            quality = int(rng.integers(20, 81))
            _, encoded = cv2.imencode(
                ".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality]
            )
            image = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
        images[i] = image


def _erase_rectangles(images, rng, share):
    """Random erasing (Zhong et al. 2017), in place: a rectangle of 2-25% of
    the face, aspect 0.3-3.3, filled with uniform noise, so the model cannot
    lean on any one part of the face (a hand or glasses over it in a photo)."""
    side = images.shape[1]
    for i in np.flatnonzero(rng.random(len(images)) < share):
        area = rng.uniform(0.02, 0.25) * side * side
        aspect = np.exp(rng.uniform(np.log(0.3), np.log(3.3)))
        height = int(min(side, round(np.sqrt(area * aspect))))
        width = int(min(side, round(np.sqrt(area / aspect))))
        top = rng.integers(0, side - height + 1)
        left = rng.integers(0, side - width + 1)
        images[i, top : top + height, left : left + width] = rng.integers(
            0, 256, (height, width), dtype=np.uint8
        )


class FerBatches(keras.utils.PyDataset):
    """Shuffled, augmented, one-hot batches, the same for the same (seed, epoch).

    What a batch holds depends only on (seed, epoch, batch index), never on the
    order Keras asks for batches in or how often it peeks: a run stopped after
    any epoch and resumed sees the very batches an unbroken run sees. The
    training loop says which epoch it is in (`set_epoch`).
    """

    def __init__(
        self,
        images,
        labels,
        *,
        batch_size,
        seed,
        augment=True,
        random_erasing=0.0,
        photo_artefacts=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.images, self.labels = images, labels
        self.batch_size, self.seed, self.augment = batch_size, seed, augment
        self.random_erasing = random_erasing
        self.photo_artefacts = photo_artefacts
        self.set_epoch(0)

    def set_epoch(self, epoch):
        self.epoch = epoch
        self.index = (
            np.random.default_rng((self.seed, epoch)).permutation(len(self.images))
            if self.augment
            else np.arange(len(self.images))
        )

    def __len__(self):
        return int(np.ceil(len(self.images) / self.batch_size))

    def rows(self, i):
        """Which faces batch i holds (indices into images and labels)."""
        return self.index[i * self.batch_size : (i + 1) * self.batch_size]

    def __getitem__(self, i):
        rows = self.rows(i)
        x = self.images[rows]
        if self.augment:
            rng = np.random.default_rng((self.seed, self.epoch, i))
            x = augment_batch(x, rng, self.random_erasing, self.photo_artefacts)
        y = keras.utils.to_categorical(self.labels[rows], 7)
        return x[..., None].astype("float32"), y
