"""Times fer's FER().detect_emotions on JPEG files; run by face_benchmark.py.

Runs under the separate fer virtual environment (see face_benchmark.py), so it
imports nothing from moodsite. Usage: python fer_worker.py RUNS FILE...
Prints one JSON object: {file: {"seconds": [...], "faces": n}}.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from fer.fer import FER  # noqa: E402


def main():
    runs, paths = int(sys.argv[1]), sys.argv[2:]
    detector = FER()
    results = {}
    for path in paths:
        data = open(path, "rb").read()
        seconds, faces = [], []
        for _ in range(runs + 1):  # the first is a warm-up
            began = time.perf_counter()
            # Decoding is part of the job, as analyze_image's is.
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            faces = detector.detect_emotions(bgr)
            seconds.append(time.perf_counter() - began)
        results[path] = {"seconds": seconds[1:], "faces": len(faces)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
