import base64
import io

from django.shortcuts import render
from PIL import Image

from faces.analysis import analyze_rgb
from faces.classifier import ModelNotAvailable
from faces.forms import PhotoUploadForm
from recommender.views import render_result

# The photo is echoed back inline at this size at most: enough to see the
# boxes, small enough to keep the page light.
PREVIEW_MAX_SIDE = 900


def home(request):
    """The upload page; a POSTed photo is analysed and answered with songs."""
    if request.method != "POST":
        return render(request, "faces/home.html", {"form": PhotoUploadForm()})

    form = PhotoUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "faces/home.html", {"form": form}, status=400)

    image = form.cleaned_data["image"]
    try:
        faces = analyze_rgb(image)
    except ModelNotAvailable as error:
        return render(request, "faces/unavailable.html", {"error": error}, status=503)

    height, width = image.shape[:2]
    photo_url = _preview_data_url(image)
    if not faces:
        context = {"form": PhotoUploadForm(), "photo_url": photo_url}
        return render(request, "faces/no_face.html", context)
    return render_result(
        request, photo_url=photo_url, image_size=(width, height), faces=faces
    )


def _preview_data_url(rgb):
    preview = Image.fromarray(rgb)
    preview.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
    buffer = io.BytesIO()
    preview.save(buffer, format="JPEG", quality=85)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}"
