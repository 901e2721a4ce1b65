"""The upload page: a photo in, its reading kept, the result page's URL out."""

import base64
import io
import logging

from django.db import DatabaseError
from django.shortcuts import render
from PIL import Image

from faces.analysis import analyze_photo
from faces.classifier import VISITOR_MESSAGE, ModelNotAvailable
from faces.forms import PhotoUploadForm
from faces.images import Busy
from faces.scene import SceneModelNotAvailable
from moodsite.database import is_outage
from moodsite.errors import RETRY_AFTER, songs_unavailable
from music.mood import MOODS
from recommender import services, throttle, visit
from recommender.mapping import mood_for
from recommender.views import reading_url, see_other

logger = logging.getLogger(__name__)


def home(request):
    """The upload page; a POSTed photo's reading is kept and its result page shown.

    POST, then 303 to the reading's own URL: the result can be reloaded,
    bookmarked and shared without sending the photo again.
    """
    if request.method != "POST":
        return render(
            request, "faces/home.html", {"form": PhotoUploadForm(), "moods": MOODS}
        )
    if not throttle.allow_analysis(request):
        return _home_with_notice(request, throttle.THROTTLED_MESSAGE, status=429)

    form = PhotoUploadForm(request.POST, request.FILES)
    try:
        valid = form.is_valid()  # decodes the photo
    except Busy as busy:
        response = _home_with_notice(request, busy.message, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if not valid:
        context = {"form": form, "moods": MOODS}
        return render(request, "faces/home.html", context, status=400)

    photo = form.take_photo()
    try:
        faces = analyze_photo(photo)
    except ModelNotAvailable as error:
        # The details (paths, what to run) are for the operator, not the visitor.
        logger.error("Emotion model unavailable: %s", error)
        context = {"message": VISITOR_MESSAGE}
        return render(request, "faces/unavailable.html", context, status=503)
    if not faces:
        return _scene(request, photo)
    try:
        reading = services.save_reading(faces=faces, image_size=photo.size)
    except DatabaseError as error:
        if not is_outage(error):
            raise
        # The photo was read; only the songs (and the result URL) need the database.
        emotion = faces[0].emotion
        mood = mood_for(emotion, visit.direction(request.session))
        return songs_unavailable(request, emotion=emotion, mood=mood)
    visit.remember_own_reading(request.session, reading.pk)
    direction = visit.direction(request.session)
    return see_other(reading_url(reading, direction=direction))


def _scene(request, photo):
    """No face: the whole photo's mood decides the music (faces stay first).
    Without the scene model, the page says no face was found, as before."""
    try:
        probabilities = services.read_scene(photo.preview)
    except SceneModelNotAvailable:
        context = {"form": PhotoUploadForm(), "photo_url": _data_url(photo.preview)}
        return render(request, "faces/no_face.html", context)
    try:
        reading = services.save_scene_reading(
            probabilities=probabilities, image_size=photo.size
        )
    except DatabaseError as error:
        if not is_outage(error):
            raise
        mood = max(probabilities, key=probabilities.get)
        return songs_unavailable(request, mood=mood)
    visit.remember_own_reading(request.session, reading.pk)
    return see_other(reading_url(reading))


def _home_with_notice(request, message, *, status):
    context = {"form": PhotoUploadForm(), "notice": message, "moods": MOODS}
    return render(request, "faces/home.html", context, status=status)


def _data_url(rgb):
    """The preview inline in the page (the answer to its POST, never stored)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=85)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}"
