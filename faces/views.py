import base64
import io

from django.shortcuts import render
from PIL import Image

from faces.analysis import analyze_rgb
from faces.classifier import ModelNotAvailable
from faces.forms import PhotoUploadForm
from recommender import services, throttle
from recommender.views import reading_url, see_other

# A photo without a face is echoed back inline (the answer to its POST, never
# stored) at this size at most: enough to see it, small enough to keep the page light.
PREVIEW_MAX_SIDE = 900


def home(request):
    """The upload page; a POSTed photo's reading is kept and its result page shown.

    POST, then 303 to the reading's own URL: the result can be reloaded,
    bookmarked and shared without sending the photo again.
    """
    if request.method != "POST":
        return render(request, "faces/home.html", {"form": PhotoUploadForm()})
    if not throttle.allow_analysis(request):
        context = {"form": PhotoUploadForm(), "throttled": throttle.THROTTLED_MESSAGE}
        return render(request, "faces/home.html", context, status=429)

    form = PhotoUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "faces/home.html", {"form": form}, status=400)

    image = form.cleaned_data["image"]
    try:
        faces = analyze_rgb(image)
    except ModelNotAvailable as error:
        return render(request, "faces/unavailable.html", {"error": error}, status=503)

    height, width = image.shape[:2]
    if not faces:
        context = {"form": PhotoUploadForm(), "photo_url": _preview_data_url(image)}
        return render(request, "faces/no_face.html", context)
    reading = services.save_reading(faces=faces, image_size=(width, height))
    return see_other(reading_url(reading))


def _preview_data_url(rgb):
    preview = Image.fromarray(rgb)
    preview.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
    buffer = io.BytesIO()
    preview.save(buffer, format="JPEG", quality=85)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}"
