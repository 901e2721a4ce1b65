"""The upload page: a photo in, its reading kept, the result page's URL out.

The page's adapter over faces.services.read_photo (errors become the page
again, with the form's message or a notice).
"""

import base64
import io

from django.db import DatabaseError
from django.shortcuts import render
from PIL import Image

from faces.forms import PhotoUploadForm
from faces.services import (
    ModelMissing,
    PhotoError,
    read_photo,
)
from moodsite.database import is_outage
from moodsite.errors import songs_unavailable
from music.spotify_account import taste_for_request
from recommender import services, throttle
from recommender.views import reading_url, see_other


def home(request):
    """The upload page; a POSTed photo's reading is kept and its result page shown.

    POST, then 303 to the reading's own URL: the result can be reloaded,
    bookmarked and shared without sending the photo again.
    """
    if request.method != "POST":
        return render(request, "faces/home.html", {"form": PhotoUploadForm()})
    if not throttle.allow_analysis(request):
        return _home_with_notice(request, throttle.THROTTLED_MESSAGE, status=429)
    try:
        read = read_photo(request.FILES.get("photo"))
    except PhotoError as error:
        return _refused(request, error)
    if not read.faces:
        context = {
            "form": PhotoUploadForm(),
            "photo_url": _data_url(read.photo.preview),
        }
        return render(request, "faces/no_face.html", context)
    try:
        reading = services.save_reading(faces=read.faces, image_size=read.photo.size)
    except DatabaseError as error:
        if not is_outage(error):
            raise
        # The photo was read; only the songs (and the result URL) need the
        # database. The page names what the result page would have followed.
        pick = services.new_reading(faces=read.faces, image_size=read.photo.size).pick()
        return songs_unavailable(request, emotion=pick.emotion, mood=pick.mood)
    # A connected listener whose taste is not known yet (Spotify said no at
    # connection time) gets it fetched here: the result page's GET only reads it.
    taste_for_request(request)
    return see_other(reading_url(reading))


def _refused(request, error):
    """A PhotoError as the upload page shows it."""
    if isinstance(error, ModelMissing):
        return render(request, "faces/unavailable.html", {"error": error}, status=503)
    if error.form is not None:  # the form says what was wrong with the file
        return render(request, "faces/home.html", {"form": error.form}, status=400)
    response = _home_with_notice(request, error.message, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def _home_with_notice(request, message, *, status):
    context = {"form": PhotoUploadForm(), "notice": message}
    return render(request, "faces/home.html", context, status=status)


def _data_url(rgb):
    """The preview inline in the page (the answer to its POST, never stored)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=85)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}"
