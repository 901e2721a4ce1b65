"""The upload page: a photo in, its reading kept, the result page's URL out."""

import base64
import io

from django.db import DatabaseError
from django.shortcuts import render
from PIL import Image

from faces.analysis import analyze_photo
from faces.classifier import ModelNotAvailable
from faces.forms import PhotoUploadForm
from faces.images import Busy
from moodsite.database import is_outage
from moodsite.errors import RETRY_AFTER, songs_unavailable
from recommender import services, throttle
from recommender.mapping import mood_for
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

    form = PhotoUploadForm(request.POST, request.FILES)
    try:
        valid = form.is_valid()  # decodes the photo
    except Busy as busy:
        response = _home_with_notice(request, busy.message, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if not valid:
        return render(request, "faces/home.html", {"form": form}, status=400)

    photo = form.take_photo()
    try:
        faces = analyze_photo(photo)
    except ModelNotAvailable as error:
        return render(request, "faces/unavailable.html", {"error": error}, status=503)
    if not faces:
        context = {"form": PhotoUploadForm(), "photo_url": _data_url(photo.preview)}
        return render(request, "faces/no_face.html", context)
    try:
        reading = services.save_reading(faces=faces, image_size=photo.size)
    except DatabaseError as error:
        if not is_outage(error):
            raise
        # The photo was read; only the songs (and the result URL) need the database.
        emotion = faces[0].emotion
        return songs_unavailable(request, emotion=emotion, mood=mood_for(emotion))
    return see_other(reading_url(reading))


def _home_with_notice(request, message, *, status):
    context = {"form": PhotoUploadForm(), "notice": message}
    return render(request, "faces/home.html", context, status=status)


def _data_url(rgb):
    """The preview inline in the page (the answer to its POST, never stored)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=85)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}"
