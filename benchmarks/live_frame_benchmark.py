"""What one live-camera frame costs the server, against the face analysis alone.

    .venv/bin/python benchmarks/live_frame_benchmark.py [--frames 200] [--side 480]
                                                        [--json out.json]

Posts the astronaut (skimage), as the page sends her (a JPEG, `--side` px), to
POST /songs/live/frame/ through Django's test client with the shipped emotion
model, and times the same bytes through faces.analysis.analyze_image alone.
Prints median and p95 milliseconds of each; the difference is the endpoint's
own work (budget, header check, JSON). The mood hold is set out of reach, so
no frame picks songs (that needs a database).
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402

harness.setup_django()

import cv2  # noqa: E402
import skimage.data  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from faces.analysis import analyze_image  # noqa: E402
from moodsite.testing import encode_image  # noqa: E402


def milliseconds(run, count):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - start))
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--side", type=int, default=480)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    setup_test_environment()
    # The in-memory database, with the cache table the frame budget lives in:
    # the budget's own cost is part of a frame's.
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    photo = cv2.resize(skimage.data.astronaut(), (args.side, args.side))
    frame = encode_image(photo, "JPEG", quality=80)
    url = reverse("recommender:live_frame")
    client = Client()

    def post():
        upload = SimpleUploadedFile("frame.jpg", frame, content_type="image/jpeg")
        response = client.post(url, {"frame": upload})
        assert response.status_code == 200, response.content

    with override_settings(LIVE_FRAMES_PER_SECOND=10**6, LIVE_MOOD_HOLD_SECONDS=1e9):
        post()  # loads the model
        analyze_image(frame)
        results = {
            "frame_bytes": len(frame),
            "side": args.side,
            "frames": args.frames,
            "endpoint": milliseconds(post, args.frames),
            "analyze_image": milliseconds(lambda: analyze_image(frame), args.frames),
        }
    print(f"{args.side} px JPEG, {len(frame) / 1024:.0f} KB, {args.frames} frames")
    for name in ("endpoint", "analyze_image"):
        timing = results[name]
        print(f"{name:>14}: median {timing['median_ms']} ms, p95 {timing['p95_ms']} ms")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
