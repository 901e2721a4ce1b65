"""What the scene model costs a web worker: ms per photo and memory.

    .venv/bin/python benchmarks/scene_cost.py [--calls 200] [--markdown FOLDER]

Runs in a fresh Python with the site's settings, as a worker would: Django set
up and faces.scene imported ("before"), then the first photo, which loads the
model ("loaded": RSS growth is the model's share of a worker), then each size
the site hands the model: the upload's preview, at most 900 px long
(faces.forms.PREVIEW_MAX_SIDE), landscape, portrait and square; a webcam
frame; a 20:1 panorama; a tiny photo. One photo per call, one thread
(faces.scene's default), after 10 warm-up calls; median and p95 in ms. It also
says whether TensorFlow, Keras or torch got imported (they must not be).

Targets (issue 22): <= 40 ms median per photo, RSS growth <= 60 MB.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402

# (label, width, height)
SIZES = [
    ("preview, landscape", 900, 600),
    ("preview, portrait", 600, 900),
    ("preview, square", 900, 900),
    ("webcam frame", 640, 480),
    ("panorama 20:1", 900, 45),
    ("tiny", 32, 32),
]

WORKER = """
import json, sys, time
sys.path.insert(0, {benchmarks!r})
import harness
harness.setup_django()
import cv2, skimage.data
from faces import scene

def rss_mb():
    return harness.status_kb("VmRSS") / 1024

photo = skimage.data.chelsea()  # a real photo (RGB); resized to each size
classifier = scene.SceneMoodClassifier()
before = rss_mb()
classifier.predict_proba([photo])
loaded = rss_mb()
rows = []
for label, width, height in {sizes!r}:
    image = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    for _ in range(10):
        classifier.predict_proba([image])
    times = []
    for _ in range({calls}):
        start = time.perf_counter()
        classifier.predict_proba([image])
        times.append((time.perf_counter() - start) * 1000)
    median, p95 = harness.median_p95(times)
    rows.append({{"size": label, "pixels": f"{{width}} x {{height}}",
                  "ms median": median, "ms p95": p95}})
heavy = sorted(m for m in ("tensorflow", "keras", "torch") if m in sys.modules)
print(json.dumps({{"model_version": classifier.version, "rss_before_mb": before,
                  "rss_loaded_mb": loaded, "heavy_modules": heavy, "sizes": rows}}))
"""


def measure(calls):
    code = WORKER.format(benchmarks=str(REPO / "benchmarks"), sizes=SIZES, calls=calls)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="timed calls a size")
    harness.add_markdown_option(parser)
    args = parser.parse_args()

    figures = measure(args.calls)
    growth = figures["rss_loaded_mb"] - figures["rss_before_mb"]
    heavy = ", ".join(figures["heavy_modules"]) or "none"
    summary = (
        f"Scene model {figures['model_version']}, one thread, one photo a call, "
        f"{args.calls} calls a size. Worker RSS {figures['rss_before_mb']:.0f} MB "
        f"before the model, {figures['rss_loaded_mb']:.0f} MB with it loaded: "
        f"+{growth:.0f} MB (target <= 60). TensorFlow, Keras or torch imported: "
        f"{heavy}. Target: <= 40 ms median."
    )
    columns = ["size", "pixels", "ms median", "ms p95"]
    print(summary + "\n")
    harness.print_table(figures["sizes"], columns)
    print(f"\n{harness.machine()}")
    harness.write_json("scene_cost", figures)
    harness.write_markdown(
        args.markdown,
        "scene_cost",
        "What the scene model costs a web worker",
        figures["sizes"],
        columns,
        notes=summary,
    )


if __name__ == "__main__":
    main()
