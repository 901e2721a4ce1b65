"""What every training run writes: files published all together, reports, plots.

Plots use matplotlib's Figure API (no pyplot global state, Agg canvas), so
training code can draw from any thread without a display.
"""

import hashlib
import json
import os
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def write_together(output_dir, writers):
    """Write {file name: writer(path)} into output_dir, all of them or none.

    Each writer fills a temporary file beside its target; only once every
    one of them succeeded are they moved into place with os.replace (atomic on
    one filesystem). A run that crashes or is interrupted before that leaves
    the shipped files as they were and no temporary files behind.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        staged = {}
        for name, write in writers.items():
            temporary = _temporary_path(output_dir, name)
            cleanup.callback(temporary.unlink, missing_ok=True)
            write(temporary)
            staged[name] = temporary
        for name, temporary in staged.items():
            os.replace(temporary, output_dir / name)
    return {name: output_dir / name for name in writers}


def _temporary_path(directory, name):
    # Same suffix as the target: Keras insists on ".keras".
    handle, path = tempfile.mkstemp(
        prefix=f".{Path(name).stem}.", suffix=Path(name).suffix, dir=directory
    )
    os.close(handle)
    os.unlink(path)  # some writers refuse to overwrite an existing file
    return Path(path)


def write_json(path, data):
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def plot_confusion_matrix(
    matrix, labels, path, *, title, xlabel="predicted", ylabel="true"
):
    """Counts in each cell, shaded by the share of its row (recall per class)."""
    matrix = np.asarray(matrix)
    totals = matrix.sum(axis=1, keepdims=True).clip(min=1)
    shares = matrix / totals
    size = 1.0 * len(labels) + 2
    figure = Figure(figsize=(size, size - 0.4), dpi=110)
    axes = figure.add_subplot()
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for row in range(len(labels)):
        for column in range(len(labels)):
            axes.text(
                column,
                row,
                f"{matrix[row, column]}\n{shares[row, column]:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if shares[row, column] > 0.5 else "black",
            )
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    figure.colorbar(image, ax=axes, fraction=0.046, label="share of row")
    figure.tight_layout()
    figure.savefig(path, format="png")


def plot_training_curves(history, path, title):
    """Loss and accuracy per epoch, training next to validation."""
    figure = Figure(figsize=(10, 4), dpi=110)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    epochs = range(1, len(history.get("loss", [])) + 1)
    for key, axes in (("loss", loss_axes), ("accuracy", accuracy_axes)):
        axes.plot(epochs, history.get(key, []), label="training")
        axes.plot(epochs, history.get(f"val_{key}", []), label="validation")
        axes.set_xlabel("epoch")
        axes.set_ylabel(key)
        axes.legend()
        axes.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, format="png")
