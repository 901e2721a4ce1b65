"""The JSON API (/api/v1/...) and the health check (/healthz).

The API is for non-browser clients: it sets and reads no cookies and keeps no
session, so CSRF (an attack that rides on a browser's cookies) does not apply
to it and its POST is csrf_exempt. Errors carry the pages' messages.
"""

import json

import numpy as np
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from faces.classifier import FACE_SIZE, EmotionClassifier, ModelNotAvailable
from faces.images import too_large_message
from faces.services import PhotoError, PhotoMissing, read_photo
from moodsite.database import is_outage
from moodsite.errors import json_error, songs_unavailable
from music.models import Song
from music.moods import METADATA_FILENAME, MODEL_FILENAME, MOODS
from recommender import services, throttle

MAX_LIMIT = 50
MAX_EXCLUDE = 1000
NO_FACE_MESSAGE = (
    "We couldn't find a face in this photo. Try one where a face looks towards "
    "the camera, well lit and not too small."
)
BAD_UPLOAD_MESSAGE = (
    "The upload could not be read. Please send the photo again as multipart form data."
)
MISSING_IMAGE_MESSAGE = "Please send the photo as the multipart form field 'image'."


def error(status, code, message):
    return json_error(status, code, message)


def photo_error(refused):
    """A faces.services.PhotoError in the JSON error shape (the API and the live
    camera answer alike)."""
    return json_error(
        refused.status, refused.code, refused.message, retry_after=refused.retry_after
    )


def method_not_allowed(allowed):
    response = error(405, "method_not_allowed", f"Use {allowed}.")
    response["Allow"] = allowed
    return response


@csrf_exempt  # no cookies or session: see the module docstring
def analyze(request):
    """POST a photo (multipart field `image`): its faces, mood and first songs."""
    if request.method != "POST":
        return method_not_allowed("POST")
    if not throttle.allow_analysis(request):
        return error(429, "throttled", throttle.THROTTLED_MESSAGE)
    try:
        upload = request.FILES.get("image")
    except RequestDataTooBig:
        return error(413, "too_large", too_large_message())
    except (MultiPartParserError, SuspiciousOperation):
        return error(400, "bad_upload", BAD_UPLOAD_MESSAGE)
    try:
        read = read_photo(upload)
    except PhotoMissing:
        return error(400, "missing_image", MISSING_IMAGE_MESSAGE)
    except PhotoError as refused:
        return photo_error(refused)
    faces = read.faces
    if not faces:
        return JsonResponse(
            {
                "faces": [],
                "mood": None,
                "songs": [],
                "result_url": None,
                "message": NO_FACE_MESSAGE,
            }  # fmt: skip
        )
    try:
        recommendation = services.recommend_for_photo(
            faces=faces, image_size=read.photo.size
        )
    except DatabaseError as exc:
        if not is_outage(exc):
            raise
        # As on the page: what the result would have followed (the group blend
        # for a group photo).
        pick = services.new_reading(faces=faces, image_size=read.photo.size).pick()
        return songs_unavailable(request, emotion=pick.emotion, mood=pick.mood)
    return JsonResponse(recommendation_json(request, recommendation))


def songs(request):
    """GET ?mood=calm&exclude=1,2&limit=6: the next songs of a mood."""
    if request.method != "GET":
        return method_not_allowed("GET")
    mood = request.GET.get("mood", "")
    if mood not in MOODS:
        return error(400, "bad_mood", f"mood must be one of: {', '.join(MOODS)}.")
    try:
        exclude = [
            int(part)
            for value in request.GET.getlist("exclude")
            for part in value.split(",")
            if part.strip()
        ]
        limit = int(request.GET.get("limit") or settings.SONGS_PER_PAGE)
    except ValueError:
        return error(400, "bad_number", "exclude and limit must be whole numbers.")
    if not 1 <= limit <= MAX_LIMIT:
        return error(400, "bad_limit", f"limit must be from 1 to {MAX_LIMIT}.")
    if len(exclude) > MAX_EXCLUDE:
        return error(400, "bad_exclude", f"exclude at most {MAX_EXCLUDE} songs.")
    page = services.songs_for_mood(mood=mood, exclude=exclude, count=limit)
    return JsonResponse(
        {
            "mood": mood,
            "songs": [song_json(song) for song in page.songs],
            "pool_size": services.pool_size(mood),
            "started_over": page.started_over,
        }
    )


def healthz(request):
    """200 with the model versions and songs per mood when all answer, else 503.

    The emotion model is loaded and run on a blank face, as uploads use it.
    The mood model is checked by its files and metadata only: pages never run
    it (songs are classified offline), and loading it would pull TensorFlow
    into every web process for the sake of a health check.
    """
    problems, models, counts = [], {}, {}
    try:
        recommendable = Song.objects.recommendable()
        counts = {mood: recommendable.in_mood(mood).count() for mood in MOODS}
    except DatabaseError as exc:
        problems.append(f"database: {exc}")
    try:
        classifier = EmotionClassifier()
        classifier.predict_proba(np.zeros((1, FACE_SIZE, FACE_SIZE), np.uint8))
        models["emotion"] = classifier.version
    except (ModelNotAvailable, OSError, ValueError, RuntimeError) as exc:
        problems.append(f"emotion model: {exc}")
    try:
        models["mood"] = mood_model_version()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"mood model: {exc}")
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse({"status": "ok", "models": models, "songs": counts})


def mood_model_version():
    models_dir = settings.MODELS_DIR
    if not (models_dir / MODEL_FILENAME).is_file():
        raise OSError(f"no {MODEL_FILENAME} in {models_dir}")
    metadata = json.loads((models_dir / METADATA_FILENAME).read_text())
    return str(metadata["version"])


def recommendation_json(request, recommendation):
    reading, pick = recommendation.reading, recommendation.pick
    result_url = reverse("recommender:reading", args=[reading.pk])
    body = {
        "faces": [
            {
                "box": dict(
                    zip(("x", "y", "width", "height"), face["box"], strict=True)
                ),
                **pick_json(reading.pick(str(number))),
            }
            for number, face in enumerate(reading.faces, start=1)
        ],
        "mood": pick.mood,
        "music_follows": pick.key,
        "songs": [song_json(song) for song in recommendation.page.songs],
        "result_url": request.build_absolute_uri(result_url),
        "expires": reading.expires.isoformat(),
    }
    if len(reading.faces) >= 2:
        body["group"] = pick_json(reading.pick("group"))
    return body


def pick_json(pick):
    return {
        "emotion": pick.predicted,
        "label": pick.predicted_adjective,
        "probabilities": {k: round(p, 4) for k, p in pick.probabilities.items()},
    }


def song_json(song):
    return {
        "id": song.pk,
        "name": song.name,
        "artists": song.artists,
        "album": song.album,
        "cover": song.cover_url or None,
        "spotify_url": song.spotify_url,
    }
