"""Labelled song catalogues for the mood model: loading, labels, overlaps.

Catalogues come as CSVs with a `mood` column (data_moods.csv, moods1.csv);
column names go through the runtime's normalise_columns(), so training and
classification read features the same way.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml_training.artifacts import file_sha256
from music.features import REQUIRED_FEATURES
from music.mood import MOODS, feature_matrix, normalise_columns

# Playlist labels -> our moods. moods1.csv says `chill` where data_moods says
# Calm; the issue maps them onto each other.
LABELS = {
    "calm": "calm",
    "chill": "calm",
    "happy": "happy",
    "energetic": "energetic",
    "sad": "sad",
}
# moods1.csv's lo-fi `study` playlists: closest to calm but not the same mood.
IGNORED_LABELS = frozenset({"study"})


@dataclass
class Catalogue:
    """One labelled CSV: its rows (id, name, artist, mood, features) and why
    rows were dropped (reason -> count)."""

    path: Path
    sha256: str
    frame: pd.DataFrame
    dropped: dict = field(default_factory=dict)

    @property
    def name(self):
        return self.path.name

    def labels(self):
        return encode_labels(self.frame["mood"])


def encode_labels(moods):
    """Mood names -> indices into MOODS (the model's output order)."""
    return np.array([MOODS.index(mood) for mood in moods], dtype=np.int64)


def load_catalogue(path):
    """A labelled catalogue, cleaned; ValueError naming what is wrong."""
    path = Path(path)
    frame = normalise_columns(pd.read_csv(path))
    missing = [c for c in ("id", "mood", *REQUIRED_FEATURES) if c not in frame]
    if missing:
        raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
    dropped = {}
    moods = frame["mood"].astype(str).str.strip().str.lower()
    unknown = sorted(set(moods) - set(LABELS) - IGNORED_LABELS)
    if unknown:
        raise ValueError(f"{path.name}: unknown mood label(s) {unknown}")
    ignored = moods.isin(IGNORED_LABELS)
    dropped["ignored_label"] = int(ignored.sum())
    frame = frame.loc[~ignored].assign(mood=moods[~ignored].map(LABELS))

    incomplete = frame[list(REQUIRED_FEATURES)].isna().any(axis=1)
    dropped["missing_features"] = int(incomplete.sum())
    frame = frame.loc[~incomplete]

    repeated = frame.duplicated(["id", "mood"])
    dropped["duplicate"] = int(repeated.sum())
    frame = frame.loc[~repeated]

    # An id listed under two moods cannot be right both times: keep neither.
    conflicting = frame.groupby("id")["mood"].transform("nunique") > 1
    dropped["conflicting_labels"] = int(conflicting.sum())
    frame = frame.loc[~conflicting].reset_index(drop=True)
    if "release_date" in frame:
        # Not an audio feature; derived only so experiments can measure it.
        frame["release_year"] = pd.to_numeric(
            frame["release_date"].astype(str).str[:4], errors="coerce"
        )
    return Catalogue(path=path, sha256=file_sha256(path), frame=frame, dropped=dropped)


def song_keys(frame):
    """Lower-cased 'name|artist' where a catalogue has both columns: the same
    recording often carries different ids in different catalogues."""
    if "name" not in frame or "artist" not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return (
        frame["name"].astype(str).str.strip().str.lower()
        + "|"
        + frame["artist"].astype(str).str.strip().str.lower()
    )


def overlapping(frame, others):
    """Rows of frame whose id or name|artist appears in any of `others`."""
    ids = set().union(*(set(other["id"]) for other in others)) if others else set()
    keys = (
        set().union(*(set(song_keys(o).dropna()) for o in others)) if others else set()
    )
    return frame["id"].isin(ids) | song_keys(frame).isin(keys)


def holdout_mask(ids, fraction):
    """A stable split by a hash of each id: the same songs are held out on
    every run and machine, without storing their ids anywhere."""
    cut = int(round(fraction * 1000))
    return np.array(
        [
            int(hashlib.sha256(str(i).encode()).hexdigest()[:8], 16) % 1000 < cut
            for i in ids
        ],
        dtype=bool,
    )


def with_features(catalogue, features):
    """The catalogue keeping only rows that have every one of `features`.

    Training never fills a gap: a fill value computed over all rows would
    carry test-fold statistics into training.
    """
    absent = [name for name in features if name not in catalogue.frame]
    if absent:
        raise ValueError(f"{catalogue.name}: no column(s) {', '.join(absent)}")
    values = catalogue.frame[list(features)].apply(pd.to_numeric, errors="coerce")
    incomplete = values.isna().any(axis=1)
    catalogue.dropped["missing_features"] += int(incomplete.sum())
    catalogue.frame = catalogue.frame.loc[~incomplete].reset_index(drop=True)
    return catalogue


def training_means(frames, features):
    """Each feature's mean over the rows that have it (fills gaps at runtime)."""
    means = {}
    for name in features:
        values = pd.concat(
            [pd.to_numeric(f[name], errors="coerce") for f in frames if name in f]
        )
        if values.dropna().empty:
            raise ValueError(f"no training catalogue has feature {name!r}")
        means[name] = float(values.mean())
    return means


def features_of(catalogue_frame, features, means):
    return feature_matrix(catalogue_frame, features, means)
