"""Times fer's FER().detect_emotions on JPEG files; run by face_benchmark.py.

A process of its own, so that fer's TensorFlow never shares moodsite's; it
imports nothing from moodsite, and reads with the peer app's detector
(benchmarks/peer_app.py: fer's defaults). Usage: python fer_worker.py RUNS FILE...
Prints one JSON object: {file: {"seconds": [...], "faces": n}}.
"""

import json
import sys
import time

import cv2
import numpy as np
from peer_app import DETECTOR


def main():
    runs, paths = int(sys.argv[1]), sys.argv[2:]
    results = {}
    for path in paths:
        data = open(path, "rb").read()
        seconds, faces = [], []
        for _ in range(runs + 1):  # the first is a warm-up
            began = time.perf_counter()
            # Decoding is part of the job, as analyze_image's is.
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            faces = DETECTOR.detect_emotions(bgr)
            seconds.append(time.perf_counter() - began)
        results[path] = {"seconds": seconds[1:], "faces": len(faces)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
