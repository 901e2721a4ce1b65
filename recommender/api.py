"""The JSON API (/api/v1/...) and the health check (/healthz).

The API is for non-browser clients: it sets and reads no cookies and keeps no
session, so CSRF (an attack that rides on a browser's cookies) does not apply
to it and its POST is csrf_exempt. Errors carry the pages' messages.
"""

import json
import logging

import numpy as np
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from faces.classifier import (
    FACE_SIZE,
    EmotionClassifier,
    ModelNotAvailable,
)
from faces.images import too_large_message
from faces.scene import SceneModelNotAvailable
from faces.services import PhotoError, PhotoMissing, read_photo
from moodsite.database import is_outage
from moodsite.errors import api_error, songs_unavailable
from music.models import Song
from music.moods import METADATA_FILENAME, MODEL_FILENAME, MOODS
from recommender import services, throttle
from recommender.mapping import DIRECTIONS, MATCH
from recommender.views import reading_url

logger = logging.getLogger(__name__)

MAX_LIMIT = 50
MAX_EXCLUDE = 1000
NO_FACE_MESSAGE = (
    "We couldn't find a face in this photo. Try one where a face looks towards "
    "the camera, well lit and not too small."
)
SCENE_MESSAGE = "No face found: the music follows the mood of the whole photo."
BAD_UPLOAD_MESSAGE = (
    "The upload could not be read. Please send the photo again as multipart form data."
)
MISSING_IMAGE_MESSAGE = "Please send the photo as the multipart form field 'image'."


def error(status, code, message):
    return api_error(status, code, message)


def photo_error(refused):
    """A faces.services.PhotoError in the JSON error shape (the API and the live
    camera answer alike)."""
    return api_error(
        refused.status, refused.code, refused.message, retry_after=refused.retry_after
    )


def method_not_allowed(allowed):
    response = error(405, "method_not_allowed", f"Use {allowed}.")
    response["Allow"] = allowed
    return response


@csrf_exempt  # no cookies or session: see the module docstring
def analyze(request):
    """POST a photo (multipart field `image`): its faces, mood and first songs.

    `music=lift` (in the query or the form) lifts the mood rather than
    matching it (recommender.mapping).
    """
    if request.method != "POST":
        return method_not_allowed("POST")
    direction = request.GET.get("music") or MATCH
    if direction not in DIRECTIONS:
        return error(
            400, "bad_music", f"music must be one of: {', '.join(DIRECTIONS)}."
        )
    wait = throttle.analysis_wait(request)
    if wait:
        response = error(429, "throttled", throttle.THROTTLED_MESSAGE)
        response["Retry-After"] = str(wait)
        return response
    try:
        upload = request.FILES.get("image")
    except RequestDataTooBig:
        return error(413, "too_large", too_large_message())
    except (MultiPartParserError, SuspiciousOperation):
        return error(400, "bad_upload", BAD_UPLOAD_MESSAGE)
    direction = request.POST.get("music") or direction
    if direction not in DIRECTIONS:
        return error(
            400, "bad_music", f"music must be one of: {', '.join(DIRECTIONS)}."
        )
    try:
        read = read_photo(upload)
    except PhotoMissing:
        return error(400, "missing_image", MISSING_IMAGE_MESSAGE)
    except PhotoError as refused:
        return photo_error(refused)
    photo, faces = read.photo, read.faces
    if not faces:
        return analyze_scene(request, photo)
    try:
        recommendation = services.recommend_for_photo(
            faces=faces, image_size=photo.size, direction=direction
        )
    except DatabaseError as exc:
        if not is_outage(exc):
            raise
        # As on the page: what the result would have followed (the group
        # blend for a group photo).
        unsaved = services.new_reading(faces=faces, image_size=photo.size)
        pick = unsaved.pick(direction=direction)
        return songs_unavailable(request, emotion=pick.emotion, mood=pick.mood)
    return JsonResponse(recommendation_json(request, recommendation))


def analyze_scene(request, photo):
    """No face: the whole photo's mood, its reading and songs (faces stay first).
    Without the scene model: no mood and no songs, with the no-face message."""
    try:
        probabilities = services.read_scene(photo.preview)
    except SceneModelNotAvailable:
        return JsonResponse(
            {
                "faces": [],
                "scene": None,
                "mood": None,
                "songs": [],
                "result_url": None,
                "message": NO_FACE_MESSAGE,
            }  # fmt: skip
        )
    try:
        reading = services.save_scene_reading(
            probabilities=probabilities, image_size=photo.size
        )
        recommendation = services.scene_songs(reading=reading)
    except DatabaseError as exc:
        if not is_outage(exc):
            raise
        mood = max(probabilities, key=probabilities.get)
        return songs_unavailable(request, mood=mood)
    pick = recommendation.pick
    return JsonResponse(
        {
            "faces": [],
            "scene": {
                "mood": pick.predicted,
                "probabilities": {
                    k: round(p, 4) for k, p in pick.probabilities.items()
                },
            },
            "mood": pick.mood,
            "songs": [song_json(song) for song in recommendation.page.songs],
            "result_url": request.build_absolute_uri(reading_url(reading)),
            "expires": reading.expires.isoformat(),
            "message": SCENE_MESSAGE,
        }
    )


@csrf_exempt  # no cookies or session: a POST gets the JSON 405, not a CSRF page
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

    The emotion model is loaded and run on a blank face, as uploads use it,
    and its answer must be finite (EmotionClassifier checks). The mood model
    is checked by its files and metadata only: pages never run it (songs are
    classified offline), and loading it would pull TensorFlow into every web
    process for the sake of a health check. The answer names what is down;
    the details (hosts, paths, what to run) go to the log, not to whoever asks.
    """
    problems, models, counts = [], {}, {}
    try:
        recommendable = Song.objects.recommendable()
        counts = {mood: recommendable.in_mood(mood).count() for mood in MOODS}
    except DatabaseError as exc:
        logger.error("Health check: database: %s", exc)
        problems.append("database unavailable")
    try:
        classifier = EmotionClassifier()
        classifier.predict_proba(np.zeros((1, FACE_SIZE, FACE_SIZE), np.uint8))
        models["emotion"] = classifier.version
    except (ModelNotAvailable, OSError, ValueError, RuntimeError) as exc:
        logger.error("Health check: emotion model: %s", exc)
        problems.append("emotion model unavailable")
    try:
        models["mood"] = mood_model_version()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.error("Health check: mood model: %s", exc)
        problems.append("mood model unavailable")
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
    result_url = reading_url(reading, direction=pick.direction)
    body = {
        "faces": [
            {
                "box": dict(
                    zip(("x", "y", "width", "height"), face["box"], strict=True)
                ),
                **pick_json(reading.pick(str(number), pick.direction)),
            }
            for number, face in enumerate(reading.faces, start=1)
        ],
        "mood": pick.mood,
        "music": pick.direction,
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
