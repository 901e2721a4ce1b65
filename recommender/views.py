"""The result page of a reading, its corrections and "More songs"; thin views
over recommender.services."""

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST, require_safe

from faces.forms import PhotoUploadForm
from music.moods import MOODS
from music.spotify_account import taste_for_request
from recommender import services
from recommender.forms import CorrectionForm
from recommender.models import reading_ttl
from recommender.wording import emotion_choices


def see_other(url):
    """303: the answer to a POST is fetched with GET, so a reload never resubmits."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def reading_url(reading, choice=None):
    url = reverse("recommender:reading", args=[reading.pk])
    return f"{url}?face={choice}" if choice else url


@require_safe
def reading(request, reading_id):
    """A photo's reading: its faces, the chosen one's emotion, and songs for it."""
    found = services.find_reading(reading_id)
    if found is None:
        return reading_gone(request)
    recommendation = services.reading_songs(
        reading=found,
        choice=request.GET.get("face"),
        session=request.session,
        prefer=taste_for_request(request),
    )
    return render_reading(request, recommendation)


@require_POST
def correct(request, reading_id):
    """ "Not quite?": the visitor picks the emotion; the songs follow it."""
    found = services.find_reading(reading_id)
    if found is None:
        return reading_gone(request)
    form = CorrectionForm(request.POST, reading=found)
    if not form.is_valid():
        recommendation = services.reading_songs(
            reading=found,
            choice=request.POST.get("choice"),
            session=request.session,
            prefer=taste_for_request(request),
        )
        return render_reading(request, recommendation, form=form, status=400)
    choice = form.cleaned_data["choice"]
    services.correct_reading(
        reading=found, choice=choice, emotion=form.cleaned_data["emotion"]
    )
    return see_other(reading_url(found, choice))


def render_reading(request, recommendation, *, form=None, status=200):
    reading, pick = recommendation.reading, recommendation.pick
    context = {
        "reading": reading,
        "pick": pick,
        "choices": [
            {
                "pick": other,
                "url": reading_url(reading, other.key),
                "box": None if other.is_group else _box(other, reading),
            }
            for other in reading.picks()
        ],
        "mood": pick.mood,
        "page": recommendation.page,
        "more_url": reading_url(reading),
        "correction_form": form,
        "emotion_choices": emotion_choices(),
    }
    return render(request, "recommender/result.html", context, status=status)


def reading_gone(request):
    """Unknown or expired: a friendly 404 with the upload form."""
    context = {
        "form": PhotoUploadForm(),
        "ttl_hours": round(reading_ttl().total_seconds() / 3600),
    }
    return render(request, "recommender/reading_gone.html", context, status=404)


@require_GET
def more_songs(request, mood):
    """The next songs of a mood ("More songs"); a fragment when fetched by the page."""
    if mood not in MOODS:
        raise Http404("No such mood")
    page = services.songs_for_mood(
        mood=mood, session=request.session, prefer=taste_for_request(request)
    )
    if request.GET.get("fragment"):
        return render(request, "recommender/_song_list.html", {"page": page})
    context = {"page": page, "mood": mood, "more_url": request.path}
    return render(request, "recommender/more.html", context)


def _box(pick, reading):
    x, y, w, h = reading.faces[int(pick.key) - 1]["box"]
    width, height = reading.image_width, reading.image_height
    # Percentages, so the boxes follow the photo as the page scales it.
    return {
        "left": 100 * x / width,
        "top": 100 * y / height,
        "width": 100 * w / width,
        "height": 100 * h / height,
    }
