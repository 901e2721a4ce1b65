"""The result page of a reading, its corrections and "More songs"; thin views
over recommender.services."""

from urllib.parse import urlencode

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST, require_safe

from faces.forms import PhotoUploadForm
from music.moods import MOODS
from music.spotify_account import taste_for_request
from recommender import services, visit
from recommender.forms import CorrectionForm, SceneCorrectionForm
from recommender.mapping import DIRECTIONS, LIFT, MATCH
from recommender.models import reading_ttl
from recommender.wording import DIRECTION_LABELS, blend_note, emotion_choices

# The result URL's parameter for what the music does with the mood.
DIRECTION_PARAM = "music"


def see_other(url):
    """303: the answer to a POST is fetched with GET, so a reload never resubmits."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def reading_url(reading, choice=None, direction=MATCH):
    """A result's URL: the choice and a lifted mood are in it, so a shared link
    shows what its sender saw."""
    url = reverse("recommender:reading", args=[reading.pk])
    params = {"face": choice} if choice else {}
    if direction == LIFT:
        params[DIRECTION_PARAM] = direction
    return f"{url}?{urlencode(params)}" if params else url


def direction_for(request, data):
    """Match or lift: from the URL (or form) when it says, and then kept for the
    visit; else what the visit chose last."""
    asked = data.get(DIRECTION_PARAM)
    if asked in DIRECTIONS:
        visit.choose_direction(request.session, asked)
        return asked
    return visit.direction(request.session)


@require_safe
def reading(request, reading_id):
    """A photo's reading: its faces, the chosen one's emotion, and songs for it."""
    found = services.find_reading(reading_id)
    if found is None:
        return reading_gone(request)
    if found.is_scene:
        return render_scene(
            request,
            services.scene_songs(
                reading=found,
                session=request.session,
                prefer=taste_for_request(request),
            ),
        )
    recommendation = services.reading_songs(
        reading=found,
        choice=request.GET.get("face"),
        session=request.session,
        prefer=taste_for_request(request),
        direction=direction_for(request, request.GET),
    )
    return render_reading(request, recommendation)


@require_POST
def correct(request, reading_id):
    """ "Not quite?": the visitor picks the emotion; the songs follow it."""
    found = services.find_reading(reading_id)
    if found is None:
        return reading_gone(request)
    if not visit.is_own_reading(request.session, found.pk):
        return render(request, "recommender/not_yours.html", status=403)
    if found.is_scene:
        return correct_scene(request, found)
    form = CorrectionForm(request.POST, reading=found)
    direction = direction_for(request, request.POST)
    if not form.is_valid():
        recommendation = services.reading_songs(
            reading=found,
            choice=request.POST.get("choice"),
            session=request.session,
            prefer=taste_for_request(request),
            direction=direction,
        )
        return render_reading(request, recommendation, form=form, status=400)
    choice = form.cleaned_data["choice"]
    services.correct_reading(
        reading=found, choice=choice, emotion=form.cleaned_data["emotion"]
    )
    return see_other(reading_url(found, choice, direction))


def render_reading(request, recommendation, *, form=None, status=200):
    reading, pick = recommendation.reading, recommendation.pick
    direction = pick.direction
    own = visit.is_own_reading(request.session, reading.pk)
    context = {
        "reading": reading,
        "pick": pick,
        "headline_prefix": pick.headline_for(own=own),
        "own": own,
        "choices": [
            {
                "pick": other,
                "url": reading_url(reading, other.key, direction),
                "box": None if other.is_group else _box(other, reading),
            }
            for other in reading.picks(direction)
        ],
        "directions": [
            {
                "label": DIRECTION_LABELS[each],
                "url": reading_url(reading, pick.key, each),
                "current": each == direction,
                "mood": reading.pick(pick.key, each).mood,
            }
            for each in DIRECTIONS
        ],
        "direction": direction,
        "blend_note": blend_note(len(reading.faces)),
        "mood": pick.mood,
        "page": recommendation.page,
        "more_url": reverse("recommender:more", args=[pick.mood]),
        "correction_form": form,
        "emotion_choices": emotion_choices(),
    }
    return render(request, "recommender/result.html", context, status=status)


def correct_scene(request, reading):
    """A scene's one-tap mood buttons: the songs follow the chosen mood."""
    form = SceneCorrectionForm(request.POST)
    if not form.is_valid():
        recommendation = services.scene_songs(
            reading=reading, session=request.session, prefer=taste_for_request(request)
        )
        return render_scene(request, recommendation, form=form, status=400)
    services.correct_scene(reading=reading, mood=form.cleaned_data["mood"])
    return see_other(reading_url(reading))


def render_scene(request, recommendation, *, form=None, status=200):
    """A photo without faces: the scene's mood, its songs and the other moods."""
    reading, pick = recommendation.reading, recommendation.pick
    context = {
        "reading": reading,
        "pick": pick,
        "mood": pick.mood,
        "moods": MOODS,
        "page": recommendation.page,
        "more_url": reverse("recommender:more", args=[pick.mood]),
        "can_correct": visit.is_own_reading(request.session, reading.pk),
        "correction_form": form,
    }
    return render(request, "recommender/scene_result.html", context, status=status)


@require_GET
def pick_mood(request, mood):
    """No photo at all: the visitor picks a mood and gets its songs."""
    page = _next_songs(request, mood)
    context = {
        "reading": None,
        "mood": mood,
        "moods": MOODS,
        "page": page,
        "more_url": reverse("recommender:more", args=[mood]),
    }
    return render(request, "recommender/scene_result.html", context)


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
    page = _next_songs(request, mood)
    if request.GET.get("fragment"):
        return render(request, "recommender/_song_list.html", {"page": page})
    context = {
        "page": page,
        "mood": mood,
        "more_url": request.path,
    }
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


def _next_songs(request, mood):
    """The visit's next page of `mood`'s songs; 404 for no such mood."""
    if mood not in MOODS:
        raise Http404("No such mood")
    return services.songs_for_mood(
        mood=mood, session=request.session, prefer=taste_for_request(request)
    )
