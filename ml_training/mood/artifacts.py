"""Writing the trained mood model, its JSON and its confusion-matrix image.

Everything is first written to temporary files beside the targets, then
moved into place with os.replace (atomic on one filesystem): a run that
crashes before the move leaves the shipped files as they were.
"""

import json
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

from matplotlib.figure import Figure

from music.mood import MODEL_FILENAME, MOODS

METADATA_FILENAME = Path(MODEL_FILENAME).with_suffix(".json").name
CONFUSION_FILENAME = "mood_confusion.png"


def save_artifacts(result, output_dir):
    """Write model, JSON and (with CV) PNG into output_dir; their paths."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    writers = {
        MODEL_FILENAME: result.model.save,
        METADATA_FILENAME: lambda path: write_json(result.metadata, path),
    }
    if result.confusion is not None:
        writers[CONFUSION_FILENAME] = lambda path: plot_confusion(
            result.confusion, result.metadata, path
        )
    with ExitStack() as cleanup:
        staged = {}
        for name, write in writers.items():
            temporary = temporary_path(output_dir, name)
            cleanup.callback(remove_if_present, temporary)
            write(temporary)
            staged[name] = temporary
        # Only now, with every file written, does anything shipped change.
        for name, temporary in staged.items():
            os.replace(temporary, output_dir / name)
    if CONFUSION_FILENAME not in writers:
        # A run without CV has no matrix; an older model's would mislead.
        remove_if_present(output_dir / CONFUSION_FILENAME)
    return {name: output_dir / name for name in writers}


def temporary_path(directory, name):
    """A fresh path in `directory` keeping the suffix (Keras insists on .keras)."""
    suffix = Path(name).suffix
    handle, path = tempfile.mkstemp(
        prefix=f".{Path(name).stem}.", suffix=suffix, dir=directory
    )
    os.close(handle)
    os.unlink(path)  # Keras refuses to overwrite silently in some versions
    return Path(path)


def remove_if_present(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_json(metadata, path):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(metadata, file, indent=2)
        file.write("\n")


def plot_confusion(confusion, metadata, path):
    """The CV confusion matrix with counts and row-normalised shading."""
    figure = Figure(figsize=(5.2, 4.6), dpi=120)  # Agg canvas, no pyplot state
    axes = figure.add_subplot()
    totals = confusion.sum(axis=1, keepdims=True).clip(min=1)
    image = axes.imshow(confusion / totals, cmap="Blues", vmin=0, vmax=1)
    for row in range(len(MOODS)):
        for column in range(len(MOODS)):
            share = confusion[row, column] / totals[row, 0]
            axes.text(
                column,
                row,
                f"{confusion[row, column]}\n{share:.0%}",
                ha="center",
                va="center",
                color="white" if share > 0.5 else "black",
                fontsize=9,
            )
    axes.set_xticks(range(len(MOODS)), MOODS)
    axes.set_yticks(range(len(MOODS)), MOODS)
    axes.set_xlabel("predicted mood")
    axes.set_ylabel("playlist mood")
    cv = metadata.get("cv") or {}
    axes.set_title(
        f"Mood model, {cv.get('folds', '?')}-fold CV: "
        f"{cv.get('mean', 0):.1%} ± {cv.get('std', 0):.1%}",
        fontsize=10,
    )
    figure.colorbar(image, ax=axes, fraction=0.046, label="share of row")
    figure.tight_layout()
    figure.savefig(path, format="png")
