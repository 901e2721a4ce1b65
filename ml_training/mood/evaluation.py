"""Leakage-free cross-validation and the metrics reported for the mood model.

`cross_validate` hands each fold's `fit` only that fold's training rows (plus
any extra catalogues' rows); everything fitted on data, the normalisation
included, happens inside `fit`, so a fold's model cannot see its test rows.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from tqdm import tqdm

from music.moods import MOODS


@dataclass
class CrossValidation:
    fold_accuracies: list
    predictions: np.ndarray  # out-of-fold label index of every row
    cross_fold_accuracies: list  # each fold model on the cross catalogue, or []

    @property
    def mean(self):
        return float(np.mean(self.fold_accuracies))

    @property
    def std(self):
        return float(np.std(self.fold_accuracies))


def stratified_folds(labels, folds, seed):
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels))


def cross_validate(
    features,
    labels,
    fit,
    *,
    folds=10,
    seed=0,
    extra=None,
    cross=None,
    progress=False,
):
    """Stratified k-fold CV of `fit(train_features, train_labels, seed)`.

    `fit` returns a function mapping features to (N, 4) probabilities.
    `extra` = (features, labels) joins every training fold, never a test
    fold; `cross` = (features, labels) is scored by every fold's model.
    """
    predictions = np.full(len(labels), -1, dtype=np.int64)
    accuracies, cross_accuracies = [], []
    splits = stratified_folds(labels, folds, seed)
    for fold, (train, test) in enumerate(
        tqdm(splits, desc="CV folds", unit="fold", disable=not progress)
    ):
        train_features, train_labels = features[train], labels[train]
        if extra is not None:
            train_features = np.concatenate([train_features, extra[0]])
            train_labels = np.concatenate([train_labels, extra[1]])
        predict = fit(train_features, train_labels, seed * 1000 + fold)
        predictions[test] = np.argmax(predict(features[test]), axis=1)
        accuracies.append(float(np.mean(predictions[test] == labels[test])))
        if cross is not None and len(cross[1]):
            cross_predicted = np.argmax(predict(cross[0]), axis=1)
            cross_accuracies.append(float(np.mean(cross_predicted == cross[1])))
    return CrossValidation(accuracies, predictions, cross_accuracies)


def classification_report(labels, predictions):
    """Accuracy, per-mood precision/recall/F1/support and confusion counts
    (rows: true mood, columns: predicted, both in MOODS order)."""
    indices = list(range(len(MOODS)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predictions, labels=indices, zero_division=0
    )
    return {
        "accuracy": float(np.mean(np.asarray(labels) == np.asarray(predictions))),
        "per_class": {
            mood: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, mood in enumerate(MOODS)
        },
        "confusion": confusion_matrix(labels, predictions, labels=indices).tolist(),
    }
