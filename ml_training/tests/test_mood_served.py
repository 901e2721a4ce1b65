"""Served precision: the share of the first songs served for a mood that carry it."""

import numpy as np
import pandas as pd

from ml_training.mood import served
from ml_training.tests.test_mood_data import synthetic_catalogue, write_csv
from music.mood import MOODS


def one_hot(moods, confidence=0.9):
    rest = (1 - confidence) / (len(MOODS) - 1)
    probabilities = np.full((len(moods), len(MOODS)), rest)
    probabilities[np.arange(len(moods)), [MOODS.index(m) for m in moods]] = confidence
    return probabilities


def frame_of(rows):
    """rows: (name, labels, valence, energy); one artist for all."""
    return pd.DataFrame(
        {
            "name": [row[0] for row in rows],
            "artist": "Don Omar",
            "labels": [frozenset(row[1]) for row in rows],
            "valence": [row[2] for row in rows],
            "energy": [row[3] for row in rows],
        }
    )


def test_the_top_of_each_moods_ranking_is_scored_against_its_labels():
    frame = frame_of(
        [
            ("A", {"happy"}, 0.9, 0.5),  # best-ranked happy: hit
            ("A - Remastered 2011", {"study"}, 0.95, 0.5),  # same song, ranks first
            ("B", {"study"}, 0.8, 0.5),  # a study song served as happy: miss
            ("C", {"happy", "energetic"}, 0.2, 0.5),  # ranks last: not served
            ("D", {"energetic"}, 0.5, 0.9),
        ]
    )
    moods = ["happy", "happy", "happy", "happy", "energetic"]

    result = served.served_precision(frame, one_hot(moods), per_mood=2)

    # One version of A is served: the remaster (higher valence) with label study.
    assert result["happy"] == {
        "precision": 0.0,
        "hits": 0,
        "served": 2,
        "predicted": 3,
        "labels_served": {"study": 2},
    }
    assert result["energetic"]["precision"] == 1.0
    assert result["calm"] == {
        "precision": None,
        "hits": 0,
        "served": 0,
        "predicted": 0,
        "labels_served": {},
    }


def test_catalogue_keeps_every_label_and_drops_training_songs(tmp_path):
    frame = synthetic_catalogue(2, moods=["happy", "study", "chill"])
    repeated = frame.iloc[[0]].assign(mood="energetic")  # an id with two labels
    path = write_csv(pd.concat([frame, repeated]), tmp_path / "m.csv")

    catalogue, dropped = served.served_catalogue(path, [frame.iloc[[5]]])

    assert dropped == 1 and len(catalogue) == 5
    labels = dict(zip(catalogue["id"], catalogue["labels"], strict=True))
    assert labels[frame["id"][0]] == {"happy", "energetic"}
    assert labels[frame["id"][2]] == {"study"}
    assert labels[frame["id"][4]] == {"calm"}  # chill stands for calm
