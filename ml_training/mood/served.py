"""Served precision: of the first songs the recommender would serve for a mood,
the share that carry that mood's label, on a catalogue the model never
trained on.

This replaces the CV-accuracy target as the mood model's measure: a visitor
sees the top of each mood's ranking, not the whole confusion matrix. The
ranking is the runtime's: each song's predicted mood, ranked within it by
MoodClassifier.score (P(mood) x the mood's audio axis), one version of each
song (music.versions), the first music.paging.SONGS_PER_VISIT (48) served.

Every row of the catalogue competes, including labels the model has no class
for (moods1's `study`): served as happy, a study song counts as a miss, as it
would on the site. A song listed under two labels is a hit for either.

    python -m ml_training.mood.served [--catalogue moods1.csv] [--write]

evaluates the shipped model (saved_models/mood_model.json's training data
left out) and, with --write, stores the result in mood_model.json.
"""

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from music.features import REQUIRED_FEATURES
from music.mood import MOODS, MoodClassifier, intensity, normalise_columns
from music.paging import SONGS_PER_VISIT
from music.versions import version_key

from . import data

SERVED_PER_MOOD = SONGS_PER_VISIT
# moods1.csv has labels for these; `chill` stands for calm (an approximation).
MEASURED_MOODS = ("happy", "energetic", "calm")
REPO = Path(__file__).resolve().parents[2]


def served_catalogue(path, trained_on=()):
    """One row per song id with its set of labels; songs of the training
    frames (same id or name|artist) are dropped."""
    frame = normalise_columns(pd.read_csv(path))
    frame = frame.dropna(subset=list(REQUIRED_FEATURES))
    shared = data.overlapping(frame, list(trained_on)) if trained_on else None
    dropped = int(shared.sum()) if shared is not None else 0
    if shared is not None:
        frame = frame.loc[~shared]
    moods = frame["mood"].astype(str).str.strip().str.lower()
    labels = moods.map(lambda m: data.LABELS.get(m, m))
    label_sets = labels.groupby(frame["id"]).agg(frozenset)
    frame = frame.drop_duplicates("id").set_index("id", drop=False)
    frame["labels"] = label_sets.reindex(frame.index)
    return frame.reset_index(drop=True), dropped


def ranked_pools(frame, probabilities):
    """{mood: the songs predicted in it, one version each, best first} for
    MEASURED_MOODS, ranked as the runtime ranks them."""
    predicted = np.asarray(MOODS)[np.argmax(probabilities, axis=1)]
    columns = np.array([MOODS.index(mood) for mood in predicted])
    score = probabilities[np.arange(len(frame)), columns] * intensity(frame, predicted)
    ranked = frame.assign(
        predicted=predicted,
        score=score,
        confidence=probabilities.max(axis=1),
        version=[
            version_key(name, artist)
            for name, artist in zip(
                frame.get("name", ""), frame.get("artist", ""), strict=True
            )
        ],
    ).sort_values(["score", "confidence"], ascending=False, kind="stable")
    return {
        mood: ranked.loc[ranked["predicted"] == mood].drop_duplicates("version")
        for mood in MEASURED_MOODS
    }


def hits(served, mood):
    """How many of `served` carry `mood`'s label."""
    return int(sum(mood in labels for labels in served["labels"]))


def served_precision(frame, probabilities, *, per_mood=SERVED_PER_MOOD):
    """{mood: {precision, hits, served, predicted}} for MEASURED_MOODS."""
    result = {}
    for mood, pool in ranked_pools(frame, probabilities).items():
        served = pool.head(per_mood)
        found = hits(served, mood)
        labels = Counter(label for labels in served["labels"] for label in labels)
        result[mood] = {
            "precision": round(found / len(served), 4) if len(served) else None,
            "hits": found,
            "served": len(served),
            "predicted": len(pool),
            "labels_served": dict(sorted(labels.items())),
        }
    return result


class FittedModel:
    """A just-trained Keras model seen as a classifier (predict_proba(frame))."""

    def __init__(self, predict):
        self.predict_proba = predict


def evaluate(classifier, catalogue, trained_on=(), *, per_mood=SERVED_PER_MOOD):
    frame, dropped = served_catalogue(catalogue, trained_on)
    report = served_precision(frame, classifier.predict_proba(frame), per_mood=per_mood)
    return {
        "file": Path(catalogue).name,
        "songs": len(frame),
        "shared_with_training_dropped": dropped,
        "served_per_mood": per_mood,
        "label_note": "calm is measured against moods1's `chill`, an approximation",
        "per_mood": report,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    songs = REPO.parent / "shared" / "data" / "songs"
    parser.add_argument("--catalogue", type=Path, default=songs / "moods1.csv")
    parser.add_argument("--models-dir", type=Path, default=REPO / "saved_models")
    parser.add_argument("--songs-dir", type=Path, default=songs)
    parser.add_argument("--write", action="store_true", help="Store in the JSON.")
    args = parser.parse_args(argv)
    classifier = MoodClassifier(args.models_dir / "mood_model.keras")
    trained = [
        pd.read_csv(args.songs_dir / entry["file"])
        for entry in classifier.metadata.get("data", [])
    ]
    report = evaluate(classifier, args.catalogue, trained)
    report["model_version"] = classifier.version
    print(json.dumps(report, indent=2))
    if args.write:
        path = args.models_dir / "mood_model.json"
        metadata = json.loads(path.read_text(encoding="utf-8"))
        metadata["served_precision"] = report
        path.write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
