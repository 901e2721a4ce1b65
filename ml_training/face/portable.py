"""What travels to a GPU machine: FER2013 packed small enough to carry there.

The shared fer2013.npz is 71 MB, and already compressed: a call to the device
machine carries at most 64 MiB with the repo. The faces as lossless PNG
mosaics (100 faces a row, up to 10,000 a file) take 53 MB. Only what training
reads travels: the pixels, the labels and which split each face is in.
(A run's best.weights.h5 comes back as it is: training saves it without the
optimizer's state, small enough for the 16 MiB a returned file may have.)

    python -m ml_training.face.portable pack FER2013_NPZ .device/data   # here
    python -m ml_training.face.portable unpack .device/data /tmp/fer.npz  # there
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

FACE = 48
FACES_PER_ROW = 100
FACES_PER_FILE = 10_000
LABELS_FILE = "labels.npz"


def pack(source, folder):
    """fer2013.npz -> folder of faces-N.png mosaics and labels.npz."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with np.load(source) as data:
        pixels, emotion, usage = data["pixels"], data["emotion"], data["usage"]
    for number, start in enumerate(range(0, len(pixels), FACES_PER_FILE)):
        mosaic = _mosaic(pixels[start : start + FACES_PER_FILE])
        Image.fromarray(mosaic).save(folder / f"faces-{number}.png", compress_level=9)
    np.savez_compressed(folder / LABELS_FILE, emotion=emotion, usage=usage)


def unpack(folder, target):
    """The folder pack() wrote -> an npz that load_fer2013 reads."""
    folder = Path(folder)
    with np.load(folder / LABELS_FILE) as labels:
        emotion, usage = labels["emotion"], labels["usage"]
    files = sorted(folder.glob("faces-*.png"), key=lambda path: int(path.stem[6:]))
    pixels = np.concatenate([_faces(np.asarray(Image.open(path))) for path in files])
    pixels = pixels[: len(emotion)]  # the last mosaic's row is padded
    np.savez(target, pixels=pixels, emotion=emotion, usage=usage)


def _mosaic(faces):
    rows = -(-len(faces) // FACES_PER_ROW)
    padded = np.zeros((rows * FACES_PER_ROW, FACE, FACE), dtype=np.uint8)
    padded[: len(faces)] = faces
    return (
        padded.reshape(rows, FACES_PER_ROW, FACE, FACE)
        .transpose(0, 2, 1, 3)
        .reshape(rows * FACE, FACES_PER_ROW * FACE)
    )


def _faces(mosaic):
    rows = mosaic.shape[0] // FACE
    return (
        mosaic.reshape(rows, FACE, FACES_PER_ROW, FACE)
        .transpose(0, 2, 1, 3)
        .reshape(rows * FACES_PER_ROW, FACE, FACE)
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packing = commands.add_parser("pack", help="fer2013.npz -> PNG mosaics")
    packing.add_argument("source", type=Path)
    packing.add_argument("folder", type=Path)
    unpacking = commands.add_parser("unpack", help="PNG mosaics -> fer2013.npz")
    unpacking.add_argument("folder", type=Path)
    unpacking.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    if args.command == "pack":
        pack(args.source, args.folder)
    else:
        unpack(args.folder, args.target)


if __name__ == "__main__":
    main()
