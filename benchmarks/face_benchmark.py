"""analyze_image next to fer's FER().detect_emotions: same photos, one run.

    .venv/bin/python benchmarks/face_benchmark.py [--fer-python PYTHON]
        [--runs 15] [--json benchmarks/results/face_benchmark.json] [--skip-check]

Prints, for JPEGs of the astronaut at 512, 640 (peer_speed.py's photo), 1024
and 4000 px (plus a group
picture of 56 px faces and a faceless photo), the median and p95 seconds of
analyze_image(bytes) and of fer (decode + detect_emotions, in a subprocess:
benchmarks/fer_worker.py with peer_app.py's detector), the per-face
classifier time, and the detection check (faces/detection_check.py: recall at
IoU >= 0.3 and false faces, faces behind a main one by their share of its
width, and the share of FER2013's PublicTest faces found when they fill a
photo). Writes the figures as JSON.

fer runs on this project's own packages; install it without its declared
requirements, which would replace tensorflow-cpu and OpenCV (as for
peer_speed.py and emotion_benchmark.py):

    .venv/bin/pip install --no-deps fer==25.10.3

--fer-python names another interpreter that has fer (default: this one).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402

harness.setup_django()

from faces import detection_check as photos  # noqa: E402
from faces.analysis import analyze_image  # noqa: E402
from faces.classifier import EmotionClassifier  # noqa: E402
from faces.detection import detect_faces  # noqa: E402


def benchmark_photos():
    astronaut = photos.rgb_sample("astronaut")
    cases = {
        f"astronaut {side} px": photos.TestPhoto(
            "", photos.resized(astronaut, side), []
        ).jpeg()
        for side in (512, 640, 1024, 4000)
    }
    cases["group, 56 px faces, 1024 px"] = photos.group_photo(56, "coffee").jpeg()
    cases["faceless (coffee) 1024 px"] = photos.TestPhoto(
        "", photos.resized(photos.rgb_sample("coffee"), 1024), []
    ).jpeg()
    return cases


def stats(seconds):
    return {
        "median_ms": float(np.median(seconds) * 1e3),
        "p95_ms": float(np.percentile(seconds, 95) * 1e3),
    }


def time_ours(data, runs):
    faces = analyze_image(data)  # warm-up: loads the model and the cascade
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        analyze_image(data)
        seconds.append(time.perf_counter() - began)
    return {**stats(seconds), "faces": len(faces)}


def fer_installed(python):
    probe = [python, "-c", "import importlib.util as u; exit(not u.find_spec('fer'))"]
    return Path(python).exists() and subprocess.run(probe).returncode == 0


def time_fer(fer_python, cases, runs):
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for index, (name, data) in enumerate(cases.items()):
            paths[name] = Path(folder) / f"{index}.jpg"
            paths[name].write_bytes(data)
        worker = Path(__file__).with_name("fer_worker.py")
        output = subprocess.run(
            [fer_python, str(worker), str(runs), *map(str, paths.values())],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    results = json.loads(output.strip().splitlines()[-1])
    return {
        name: {
            **stats(results[str(path)]["seconds"]),
            "faces": results[str(path)]["faces"],
        }
        for name, path in paths.items()
    }


def time_per_face(runs=300):
    classifier = EmotionClassifier()
    face = np.random.default_rng(0).integers(0, 256, (1, 48, 48), np.uint8)
    classifier.predict_proba(face)
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        classifier.predict_proba(face)
        seconds.append(time.perf_counter() - began)
    return stats(seconds)


def detection_figures():
    def detect(photo):
        return [face.box for face in analyze_image(photo.jpeg())]

    totals, failures = photos.detection_check(detect)
    figures = {**totals, "failures": failures}
    # Faces behind a main one, by their share of its width: (found, known).
    mixed = {}
    for share in photos.MIXED_SHARES:
        found = known = 0
        for width in photos.MIXED_MAIN_WIDTHS:
            for background in photos.MIXED_BACKGROUNDS:
                photo = photos.mixed_group_photo(width, share, background)
                found += photos.score(photo.faces[1:], detect(photo))[0]
                known += len(photo.faces) - 1
        mixed[share] = (found, known)
    figures["mixed_sizes"] = mixed
    false_faces = {
        name: len(detect_faces(gray)) for name, gray in photos.faceless_grays()
    }
    figures["faceless_grays"] = {
        "photos": len(false_faces),
        "false_faces": sum(false_faces.values()),
        "where": {name: count for name, count in false_faces.items() if count},
    }
    if photos.FER2013.exists():
        faces = photos.public_test_faces()
        figures["public_test_on_canvas"] = {
            "faces": len(faces),
            "recall": photos.canvas_recall(detect_faces, faces),
        }
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fer-python", default=sys.executable)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--json",
        type=Path,
        default=REPO / "benchmarks" / "results" / "face_benchmark.json",
    )
    parser.add_argument("--skip-check", action="store_true", help="no detection check")
    args = parser.parse_args()

    cases = benchmark_photos()
    ours = {name: time_ours(data, args.runs) for name, data in cases.items()}
    fer = None
    if fer_installed(args.fer_python):
        fer = time_fer(args.fer_python, cases, max(3, args.runs // 3))
    else:
        print(
            f"fer is not installed for {args.fer_python}: see this script's docstring."
        )
    report = {"cpu_count": os.cpu_count(), "photos": {}, "per_face_ms": time_per_face()}
    print(
        f"{'photo':32s} {'ours median, p95 ms':>22s} "
        f"{'fer median, p95 ms':>22s} {'fer/ours':>8s}"
    )
    for name in cases:
        row = {"ours": ours[name], "fer": fer[name] if fer else None}
        report["photos"][name] = row
        line = (
            f"{name:32s} {ours[name]['median_ms']:10.1f}, {ours[name]['p95_ms']:9.1f}"
        )
        if fer:
            ratio = fer[name]["median_ms"] / ours[name]["median_ms"]
            row["speedup"] = ratio
            theirs = fer[name]
            line += f" {theirs['median_ms']:10.1f}, {theirs['p95_ms']:9.1f}"
            line += f" {ratio:7.1f}x"
        print(line)
    per_face = report["per_face_ms"]
    print(
        f"classifier, one face: {per_face['median_ms']:.2f} ms median, "
        f"{per_face['p95_ms']:.2f} p95"
    )
    if not args.skip_check:
        check = detection_figures()
        report["detection_check"] = check
        print(
            f"detection check: {check['found']}/{check['faces']} faces found "
            f"(recall {check['recall']:.1%}), {check['false_faces']} false faces "
            f"on {check['photos']} photos; misses: {check['failures']}"
        )
        behind = ", ".join(
            f"{share}: {found}/{known}"
            for share, (found, known) in check["mixed_sizes"].items()
        )
        print(f"faces behind a main one, by share of its width: {behind}")
        faceless = check["faceless_grays"]
        print(
            f"faceless samples (gray): {faceless['false_faces']} false faces on "
            f"{faceless['photos']} photos {faceless['where']}"
        )
        canvas = check.get("public_test_on_canvas")
        if canvas:
            print(
                f"FER2013 PublicTest faces filling their photo: {canvas['recall']:.1%} "
                f"of {canvas['faces']} found"
            )
    args.json.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
