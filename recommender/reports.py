"""The models' reports for staff, read from settings.MODELS_DIR at request time.

The trainers write them (ml_training): emotion_model.json / mood_model.json with
metrics, confusion matrices, version and data hashes, plus PNG plots.
"""

import json
from datetime import UTC, datetime

from django.conf import settings

from faces import emotions
from faces.emotions import EMOTIONS
from music import moods
from music.moods import MOODS
from recommender.models import EmotionCorrection, SceneCorrection
from recommender.wording import adjective

# The plots staff may open (served by the admin, staff only); nothing else in
# MODELS_DIR is reachable through it.
PLOTS = {
    "emotion": (emotions.CONFUSION_FILE, emotions.CURVES_FILE),
    "mood": (moods.CONFUSION_FILENAME,),
    "scene": ("scene_confusion.png", "scene_reliability.png", "scene_curves.png"),
}
REPORT_FILES = {
    "emotion": emotions.METRICS_FILE,
    "mood": moods.METADATA_FILENAME,
    "scene": "scene_model.json",
}


def plot_names():
    return {name for names in PLOTS.values() for name in names}


def read_report(kind):
    """The model's JSON as a dict, or None when it is missing or unreadable."""
    path = settings.MODELS_DIR / REPORT_FILES[kind]
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def trained_at(report, kind):
    """When the model was trained: its `created`, its version's time stamp, or
    failing both the report file's modification time."""
    if report.get("created"):
        return _parse_iso(report["created"])
    stamp = str(report.get("version", ""))[:15]
    for layout in ("%Y%m%d-%H%M%S", "%Y%m%dT%H%M%S"):
        try:
            return datetime.strptime(stamp, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    path = settings.MODELS_DIR / REPORT_FILES[kind]
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _parse_iso(value):
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def matrix(labels, rows):
    """Confusion rows (true label per row) -> [(label, [counts], total)]."""
    return [
        (label, list(row), sum(row)) for label, row in zip(labels, rows, strict=False)
    ]


def per_class(labels, metrics):
    rows = []
    for label in labels:
        values = metrics.get(label, {})
        rows.append(
            {
                "label": label,
                "precision": values.get("precision"),
                "recall": values.get("recall"),
                "f1": values.get("f1", values.get("f1-score")),
                "support": values.get("support"),
            }
        )
    return rows


def present_plots(kind):
    return [name for name in PLOTS[kind] if (settings.MODELS_DIR / name).is_file()]


def emotion_report():
    report = read_report("emotion")
    if report is None:
        return None
    labels = report.get("emotions", EMOTIONS)
    return {
        "version": report.get("version", "unknown"),
        "trained": trained_at(report, "emotion"),
        "model": report.get("model", ""),
        "parameters": report.get("parameters"),
        "accuracy": report.get("public_test_accuracy"),
        "accuracy_label": (
            f"PublicTest accuracy ({report.get('public_test_size')} faces)"
        ),
        "figures": emotion_figures(report),
        "data": [("FER2013 (fer2013.npz)", report.get("data_sha256", "—"))],
        "git_commit": report.get("git_commit", ""),
        "labels": labels,
        "confusion": matrix(labels, report.get("confusion_matrix", [])),
        "per_class": per_class(labels, report.get("per_class", {})),
        "plots": present_plots("emotion"),
    }


def emotion_figures(report):
    """The emotion report's further figures as (label, text) rows, those it has."""
    rows = []
    ckplus = report.get("ckplus")
    if isinstance(ckplus, dict) and "accuracy" in ckplus:
        people = ckplus.get("per_subject", {})
        rows.append(
            (
                f"CK+ accuracy ({ckplus.get('faces')} posed faces, never trained on)",
                f"{ckplus['accuracy']:.4f}; per person median "
                f"{people.get('median', '—')} of {people.get('subjects', '—')}",
            )
        )
        recalls = ckplus.get("per_class", {})
        per_class = ", ".join(
            f"{name} {values['recall']:.2f}"
            for name, values in recalls.items()
            if values.get("support")
        )
        if "mean_recall" in ckplus:
            per_class += f"; mean {ckplus['mean_recall']:.4f}"
        rows.append(("CK+ recall per class", per_class))
    if "expected_calibration_error" in report:
        rows.append(
            ("Calibration error (PublicTest)", report["expected_calibration_error"])
        )
    if "temperature" in report:
        rows.append(
            ("Softmax temperature (fitted on PublicTest)", report["temperature"])
        )
    if "prior_shift" in report:
        rows.append(
            (
                "Shift towards rarer emotions (fitted on PublicTest)",
                f"{report['prior_shift']} × log of each emotion's training share",
            )
        )
    if "neutral_offset" in report:
        rows.append(("Neutral offset (fitted on PublicTest)", report["neutral_offset"]))
    if "ms_per_face" in report:
        rows.append(("Cost per face (1 thread)", f"{report['ms_per_face']} ms"))
    if "weights" in report:
        rows.append(("Weights and activations stored as", report["weights"]))
    if "training_seconds" in report:
        rows.append(
            (
                "Training",
                f"{report['training_seconds'] / 3600:.1f} h under "
                f"{', '.join(_as_list(report.get('backend', '?')))}",
            )
        )
    for member in report.get("members", []):
        rows.append(
            (
                f"Member {member.get('folder')}",
                f"PublicTest {member.get('public_test_accuracy')}, "
                f"{member.get('epochs_trained')} epochs, "
                f"{member.get('parameters')} parameters",
            )
        )
    return rows


def _as_list(value):
    return value if isinstance(value, list) else [value]


def mood_report():
    report = read_report("mood")
    if report is None:
        return None
    labels = report.get("classes", MOODS)
    cv = report.get("cv", {})
    return {
        "version": report.get("version", "unknown"),
        "trained": trained_at(report, "mood"),
        "model": "MLP",
        "parameters": report.get("parameters"),
        "accuracy": cv.get("accuracy"),
        "accuracy_label": f"{cv.get('folds', '?')}-fold cross-validated accuracy",
        "data": [
            (f"{item.get('file')} ({item.get('role')})", item.get("sha256", "—"))
            for item in report.get("data", [])
        ],
        "git_commit": report.get("git_commit", ""),
        "labels": labels,
        "confusion": matrix(labels, cv.get("confusion", [])),
        "per_class": per_class(labels, cv.get("per_class", {})),
        "plots": present_plots("mood"),
    }


def scene_report():
    report = read_report("scene")
    if report is None:
        return None
    labels = report.get("moods", MOODS)
    validation = report.get("validation", {})
    data = report.get("data", {})
    timing = report.get("ms_per_photo") or {}
    return {
        "version": report.get("version", "unknown"),
        "trained": trained_at(report, "scene"),
        "model": report.get("model", ""),
        "parameters": report.get("parameters"),
        "accuracy": validation.get("accuracy"),
        "accuracy_label": (
            f"Group-wise validation accuracy ({validation.get('photos')} photos, "
            f"{validation.get('groups')} groups)"
        ),
        "data": [(data.get("file", "labels.csv"), data.get("sha256", "—"))],
        "git_commit": report.get("git_commit", ""),
        "labels": labels,
        "confusion": matrix(labels, validation.get("confusion_matrix", [])),
        "per_class": per_class(labels, validation.get("per_class", {})),
        "plots": present_plots("scene"),
        "extra": [
            ("Calibration (ECE, 10 bins)", validation.get("ece", "—")),
            (
                "ms per photo (LiteRT, one thread)",
                f"median {timing.get('median', '—')}, p95 {timing.get('p95', '—')}",
            ),
            *(("Data terms", terms) for terms in report.get("terms", [])),
        ],
    }


def correction_matrix():
    """Visitors' corrections as rows of the model's emotion x the one chosen."""
    counts = {(c.predicted, c.chosen): c.count for c in EmotionCorrection.objects.all()}
    rows = [
        (
            adjective(predicted),
            [counts.get((predicted, chosen), 0) for chosen in EMOTIONS],
        )
        for predicted in EMOTIONS
    ]
    return {
        "labels": [adjective(emotion) for emotion in EMOTIONS],
        "rows": [(label, cells, sum(cells)) for label, cells in rows],
        "total": sum(counts.values()),
    }


def scene_correction_matrix():
    """Scene corrections as rows of the scene model's mood x the one chosen."""
    counts = {(c.predicted, c.chosen): c.count for c in SceneCorrection.objects.all()}
    rows = [
        (predicted, [counts.get((predicted, chosen), 0) for chosen in MOODS])
        for predicted in MOODS
    ]
    return {
        "labels": list(MOODS),
        "rows": [(label, cells, sum(cells)) for label, cells in rows],
        "total": sum(counts.values()),
    }
