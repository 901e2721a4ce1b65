"""The upload page: a photo in, its reading kept, the result page's URL out."""

import base64
import io

from django.db import DatabaseError
from django.shortcuts import render
from PIL import Image

from faces.forms import PhotoUploadForm
from faces.scene import SceneModelNotAvailable
from faces.services import ModelMissing, PhotoError, read_photo
from moodsite.database import is_outage
from moodsite.errors import songs_unavailable
from music.moods import MOODS
from music.spotify_account import taste_for_request
from recommender import services, throttle, visit
from recommender.views import reading_url, see_other


def home(request):
    """The upload page; a POSTed photo's reading is kept and its result page shown.

    POST, then 303 to the reading's own URL: the result can be reloaded,
    bookmarked and shared without sending the photo again.
    """
    if request.method != "POST":
        return render(
            request, "faces/home.html", {"form": PhotoUploadForm(), "moods": MOODS}
        )
    wait = throttle.analysis_wait(request)
    if wait:
        response = _home_with_notice(request, throttle.THROTTLED_MESSAGE, status=429)
        response["Retry-After"] = str(wait)
        return response

    try:
        read = read_photo(request.FILES.get("photo"))
    except PhotoError as error:
        return _refused(request, error)
    photo, faces = read.photo, read.faces
    if not faces:
        return _scene(request, photo)
    try:
        reading = services.save_reading(faces=faces, image_size=photo.size)
    except DatabaseError as error:
        if not is_outage(error):
            raise
        # The photo was read; only the songs (and the result URL) need the
        # database. The page names what the result page would have followed
        # (the group blend for a group photo).
        unsaved = services.new_reading(faces=faces, image_size=photo.size)
        pick = unsaved.pick(direction=visit.direction(request.session))
        return songs_unavailable(request, emotion=pick.emotion, mood=pick.mood)
    visit.remember_own_reading(request.session, reading.pk)
    # A connected listener whose taste is not known yet (Spotify said no at
    # connection time) gets it fetched here: the result page's GET only reads it.
    taste_for_request(request)
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


def _refused(request, error):
    """A PhotoError as the upload page shows it."""
    if isinstance(error, ModelMissing):
        context = {"message": error.message}
        return render(request, "faces/unavailable.html", context, status=503)
    if error.form is not None:  # the form says what was wrong with the file
        context = {"form": error.form, "moods": MOODS}
        return render(request, "faces/home.html", context, status=400)
    response = _home_with_notice(request, error.message, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def _home_with_notice(request, message, *, status):
    context = {"form": PhotoUploadForm(), "notice": message, "moods": MOODS}
    return render(request, "faces/home.html", context, status=status)


def _data_url(rgb):
    """The preview inline in the page (the answer to its POST, never stored)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=85)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}"
