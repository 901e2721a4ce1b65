"""Writing the trained mood model, its JSON and its confusion-matrix image."""

from pathlib import Path

from ml_training.artifacts import plot_confusion_matrix, write_json, write_together
from music.moods import CONFUSION_FILENAME, METADATA_FILENAME, MODEL_FILENAME, MOODS


def save_artifacts(result, output_dir):
    """Write model, JSON and (with CV) PNG into output_dir, all or none; their paths."""
    writers = {
        MODEL_FILENAME: result.model.save,
        METADATA_FILENAME: lambda path: write_json(path, result.metadata),
    }
    if result.confusion is not None:
        writers[CONFUSION_FILENAME] = lambda path: plot_confusion(
            result.confusion, result.metadata, path
        )
    paths = write_together(output_dir, writers)
    if CONFUSION_FILENAME not in writers:
        # A run without CV has no matrix; an older model's would mislead.
        (Path(output_dir) / CONFUSION_FILENAME).unlink(missing_ok=True)
    return paths


def plot_confusion(confusion, metadata, path):
    cv = metadata.get("cv") or {}
    plot_confusion_matrix(
        confusion,
        MOODS,
        path,
        title=f"Mood model, {cv.get('folds', '?')}-fold CV: "
        f"{cv.get('mean', 0):.1%} ± {cv.get('std', 0):.1%}",
        xlabel="predicted mood",
        ylabel="playlist mood",
    )
