"""The scene photos: labels, a group-wise validation split, pixels and augmentation.

`../shared/data/scenes/` holds the train split only (the project keeps a test
split back). The validation rows are chosen by a hash of `group`, so an OASIS
theme such as "Acorns 1..3" never straddles the split, and the split stays the
same whichever rows (OASIS only, no faces) a run keeps.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from faces.scene import to_model_input
from ml_training.artifacts import file_sha256
from music.mood import MOODS

VALIDATION_SHARE = 0.2
# Terms the report repeats (data/scenes/README.md "Terms").
DATA_TERMS = {
    "oasis": "OASIS (Kurdi, Lozano & Banaji 2017): free for research use; photos "
    "from Pixabay, Wikipedia, Flickr and others.",
    "emotion6": "Emotion6 (Peng et al., CVPR 2015): academic research only; "
    "image copyright remains with the owners. A model trained on it is for "
    "research and demo use only.",
}


@dataclass(frozen=True)
class SceneSet:
    rows: pd.DataFrame  # labels.csv rows kept, with a `validation` column
    images: np.ndarray  # uint8 (N, 224, 224, 3) RGB, as faces.scene shapes them
    labels: np.ndarray  # int (N,) index into MOODS
    sha256: str  # labels.csv

    def part(self, validation):
        keep = self.rows["validation"].to_numpy() == validation
        return self.images[keep], self.labels[keep], self.rows[keep]


def is_validation(group, share=VALIDATION_SHARE):
    """Stable across runs and machines (not Python's salted hash())."""
    digest = hashlib.sha256(str(group).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def read_labels(data_dir, *, oasis_only=False, without_faces=False):
    rows = pd.read_csv(Path(data_dir) / "labels.csv")
    rows = rows[rows["split"] == "train"]
    if oasis_only:
        rows = rows[rows["source"] == "oasis"]
    if without_faces:
        rows = rows[rows["haar_faces"] == 0]
    unknown = set(rows["mood"]) - set(MOODS)
    if unknown:
        raise ValueError(f"labels.csv has moods outside MOODS: {sorted(unknown)}")
    rows = rows.reset_index(drop=True)
    rows["validation"] = rows["group"].map(is_validation)
    return rows


def read_rgb(path):
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"Cannot read the photo {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_scenes(data_dir, *, oasis_only=False, without_faces=False):
    data_dir = Path(data_dir)
    rows = read_labels(data_dir, oasis_only=oasis_only, without_faces=without_faces)
    images = np.stack(
        [to_model_input(read_rgb(data_dir / "images" / name)) for name in rows["file"]]
    )
    labels = rows["mood"].map(MOODS.index).to_numpy().astype("int64")
    return SceneSet(rows, images, labels, file_sha256(data_dir / "labels.csv"))


def load_originals(data_dir, rows):
    """The photos at their stored size (long side <= 320), for augmented crops."""
    return [read_rgb(Path(data_dir) / "images" / name) for name in rows["file"]]


def augment(image, rng):
    """One training view: a random crop of 60-100% of the area (the scene stays
    recognisable), a mirror half of the time, and mild brightness, contrast and
    saturation changes. Hue is left alone: a sunset turned green is another mood.
    """
    height, width = image.shape[:2]
    area = rng.uniform(0.6, 1.0)
    aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    crop_h = int(min(height, round(height * np.sqrt(area / aspect))))
    crop_w = int(min(width, round(width * np.sqrt(area * aspect))))
    top = rng.integers(0, height - crop_h + 1)
    left = rng.integers(0, width - crop_w + 1)
    view = to_model_input(image[top : top + crop_h, left : left + crop_w])
    if rng.random() < 0.5:
        view = view[:, ::-1]
    view = view.astype("float32")
    view = view * rng.uniform(0.85, 1.15)  # brightness
    mean = view.mean()
    view = (view - mean) * rng.uniform(0.85, 1.15) + mean  # contrast
    gray = view.mean(axis=2, keepdims=True)
    view = (view - gray) * rng.uniform(0.8, 1.2) + gray  # saturation
    return np.clip(view, 0, 255).astype("uint8")
