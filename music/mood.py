"""The song mood model's runtime: MOODS and MoodClassifier.

The model is trained by `python manage.py train_mood_model` (ml_training/mood)
and shipped as saved_models/mood_model.keras plus mood_model.json, which names
the features it reads, their training means and the model's version. Keras is
imported only when a classifier is first built, so starting Django stays light.
"""

import json
import re
import threading
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings

from music.features import REQUIRED_FEATURES
from music.moods import MODEL_FILENAME, MOODS  # noqa: F401 (music.mood.MOODS stays)

# Column names catalogues use for our features, after normalise_columns().
COLUMN_ALIASES = {
    "length": "duration_ms",  # data_moods.csv
    "track_duration_ms": "duration_ms",  # Exportify
    "duration": "duration_ms",
}

# Which audio axis says how strongly a song has its mood (see score()).
MOOD_INTENSITY = {
    "calm": ("energy", True),  # (feature, inverted): calmer = less energy
    "happy": ("valence", False),
    "energetic": ("energy", False),
    "sad": ("valence", True),
}

# Rows per forward pass: big enough to amortise the call, small enough that
# the activations of a 1M-song catalogue never sit in memory at once.
FORWARD_BATCH = 65_536


class ModelNotAvailable(Exception):
    """The mood model file (or its JSON) is missing or unreadable."""


def normalise_column_name(name):
    """'Track Duration (ms)' -> 'track_duration_ms', then known aliases."""
    name = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")
    return COLUMN_ALIASES.get(name, name)


def normalise_columns(frame):
    """The frame with normalised column names; the first of duplicates wins."""
    renamed = frame.rename(columns=normalise_column_name)
    return renamed.loc[:, ~renamed.columns.duplicated()]


def feature_matrix(frame, features, fill_values):
    """(N, len(features)) float32 from a catalogue frame as it comes.

    A missing or non-numeric required feature raises ValueError naming it;
    a missing optional feature (column or cell) takes its training mean.
    """
    frame = normalise_columns(frame)
    columns = []
    for name in features:
        if name not in frame.columns:
            if name in REQUIRED_FEATURES:
                raise ValueError(f"missing required column {name!r}")
            columns.append(np.full(len(frame), fill_values[name], dtype=np.float32))
            continue
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(
            np.float64, copy=True
        )
        missing = np.isnan(values)
        if missing.any():
            if name in REQUIRED_FEATURES:
                raise ValueError(
                    f"column {name!r} has {int(missing.sum())} empty or "
                    "non-numeric values"
                )
            values[missing] = fill_values[name]
        columns.append(values.astype(np.float32))
    if not columns:
        return np.zeros((len(frame), 0), dtype=np.float32)
    return np.stack(columns, axis=1)


def intensity(frame, moods):
    """How strongly each song shows its mood on its mood's audio axis, 0..1."""
    frame = normalise_columns(frame)
    result = np.empty(len(frame), dtype=np.float64)
    moods = np.asarray(moods)
    for mood, (feature, inverted) in MOOD_INTENSITY.items():
        rows = moods == mood
        if not rows.any():
            continue
        values = pd.to_numeric(frame[feature], errors="coerce").to_numpy(np.float64)
        values = np.clip(values[rows], 0.0, 1.0)
        result[rows] = 1.0 - values if inverted else values
    return result


_cache = {}
_cache_lock = threading.Lock()


def _load(path):
    """(keras model, metadata) for path, loaded once per version of the files."""
    key = (
        str(path.resolve()),
        _file_identity(path, "mood model"),
        _file_identity(path.with_suffix(".json"), "mood model metadata"),
    )
    with _cache_lock:
        if key not in _cache:
            _cache.clear()  # one model per process: drop a replaced file's
            _cache[key] = (_read_model(path), _read_metadata(path))
        return _cache[key]


def _file_identity(path, what):
    """Changes whenever the file is replaced (os.replace: new inode) or rewritten."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ModelNotAvailable(
            f"no {what} at {path}: run `python manage.py train_mood_model`"
        ) from None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _read_model(path):
    import keras  # lazily: only processes that classify pay for it

    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # a truncated or foreign file: say which
        raise ModelNotAvailable(f"cannot read mood model {path}: {exc}") from exc


def _read_metadata(path):
    metadata_path = path.with_suffix(".json")
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelNotAvailable(
            f"cannot read mood model metadata {metadata_path}: {exc}"
        ) from exc
    for field in ("version", "features", "classes", "feature_means"):
        if field not in metadata:
            raise ModelNotAvailable(f"{metadata_path} lacks {field!r}")
    if tuple(metadata["classes"]) != MOODS:
        raise ModelNotAvailable(
            f"{metadata_path} classes {metadata['classes']} are not {list(MOODS)}"
        )
    return metadata


class MoodClassifier:
    """Sorts songs into MOODS from their audio features.

    The saved model is self-contained (its first layer normalises raw
    features), so this class only picks and orders the columns.
    """

    def __init__(self, path=None):
        self.path = Path(path) if path else Path(settings.MODELS_DIR) / MODEL_FILENAME
        self.model, self.metadata = _load(self.path)
        self.version = self.metadata["version"]
        self.features = tuple(self.metadata["features"])
        self.fill_values = self.metadata["feature_means"]

    def features_of(self, frame):
        return feature_matrix(frame, self.features, self.fill_values)

    def predict_proba(self, frame):
        """(N, 4) probabilities in MOODS order; each row sums to 1."""
        features = self.features_of(frame)
        if len(features) == 0:
            return np.zeros((0, len(MOODS)), dtype=np.float32)
        from keras import ops

        # Calling the model on whole batches: predict() per row or Keras'
        # own predict() loop costs far more than the forward pass itself.
        parts = [
            ops.convert_to_numpy(self.model(features[start : start + FORWARD_BATCH]))
            for start in range(0, len(features), FORWARD_BATCH)
        ]
        return np.concatenate(parts).astype(np.float32)

    def predict(self, frame):
        return self.labels(self.predict_proba(frame))

    @staticmethod
    def labels(probabilities):
        return np.asarray(MOODS)[np.argmax(probabilities, axis=1)]

    def score(self, frame, moods=None, probabilities=None):
        """A ranking score within a mood: P(mood) x the song's mood intensity.

        `moods` is the mood each song is ranked in (default: its predicted
        mood; classify_songs passes a curator's override where there is one).
        The class probability alone says how typical a song is, but a
        confident model gives hundreds of songs ~0.99, leaving their order to
        chance; multiplying by the audio axis that defines the mood (valence
        for happy, 1 - valence for sad, energy for energetic, 1 - energy for
        calm) puts the happiest happy songs first among equally sure ones,
        and keeps a song ranked under a mood the model doubts near the end.
        """
        if probabilities is None:
            probabilities = self.predict_proba(frame)
        moods = self.labels(probabilities) if moods is None else np.asarray(moods)
        columns = np.array([MOODS.index(mood) for mood in moods], dtype=int)
        mood_probability = probabilities[np.arange(len(moods)), columns]
        return mood_probability * intensity(frame, moods)
