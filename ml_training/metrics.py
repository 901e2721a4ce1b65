"""The figures every model report carries, for any classifier's probabilities:
accuracy, per-class precision/recall/F1, the confusion matrix and calibration.
The emotion and scene reports both read them from here."""

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix


def classification_figures(probabilities, labels, class_names):
    """Accuracy, per-class figures and the confusion matrix (rows: truth)."""
    predicted = probabilities.argmax(axis=1)
    indices = list(range(len(class_names)))
    report = classification_report(
        labels,
        predicted,
        labels=indices,
        target_names=class_names,
        output_dict=True,
        zero_division=0,
    )
    return {
        "accuracy": round(float((predicted == labels).mean()), 4),
        "per_class": {
            name: {
                key: round(float(report[name][key]), 4)
                for key in ("precision", "recall", "f1-score", "support")
            }
            for name in class_names
        },
        "confusion_matrix": confusion_matrix(
            labels, predicted, labels=indices
        ).tolist(),
    }


def reliability(probabilities, labels, bins=10):
    """(expected calibration error, bins): the gap between confidence and
    accuracy over equal-width confidence bins, weighted by how many answers
    each holds (Guo et al. 2017; 0 is perfectly calibrated), and each non-empty
    bin as [mean confidence, accuracy, count] for a reliability plot. The site
    shows these probabilities as bars, so they should mean what they say."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    rows, error = [], 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if not inside.any():
            continue
        accuracy, mean = float(correct[inside].mean()), float(confidence[inside].mean())
        error += inside.mean() * abs(accuracy - mean)
        rows.append([round(mean, 4), round(accuracy, 4), int(inside.sum())])
    return round(float(error), 4), rows
