from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from music.mood import MOODS
from recommender import visit
from recommender.mapping import mood_for
from recommender.selection import next_songs

# Below this top probability the page admits the model is unsure.
UNCERTAIN_BELOW = 0.4


def render_result(request, *, photo_url, image_size, faces):
    """The result page for an analysed photo: faces, emotion, mood and first songs.

    Called by the upload view once faces were found; the photo itself is
    only echoed back inline and never stored.
    """
    main_face = faces[0]
    mood = mood_for(main_face.emotion)
    visit.remember_analysis(
        request.session,
        emotion=main_face.emotion,
        probabilities=main_face.probabilities,
        mood=mood,
        face_count=len(faces),
    )
    page = _next_page(request, mood)
    width, height = image_size
    context = {
        "photo_url": photo_url,
        "faces": [_face_context(face, width, height) for face in faces],
        "main_face": main_face,
        "probabilities": _sorted_probabilities(main_face.probabilities),
        "mood": mood,
        "page": page,
        "uncertain": main_face.probabilities[main_face.emotion] < UNCERTAIN_BELOW,
    }
    return render(request, "recommender/result.html", context)


@require_GET
def more_songs(request, mood):
    """The next songs of a mood ("More songs"); a fragment when fetched by the page."""
    if mood not in MOODS:
        raise Http404("No such mood")
    page = _next_page(request, mood)
    if request.GET.get("fragment"):
        return render(request, "recommender/_song_list.html", {"page": page})
    analysis = visit.last_analysis(request.session)
    context = {"page": page, "mood": mood, "analysis": analysis}
    if analysis and analysis["mood"] == mood:
        context["probabilities"] = _sorted_probabilities(analysis["probabilities"])
    return render(request, "recommender/more.html", context)


def _next_page(request, mood):
    place = visit.place_in_pool(request.session, mood)
    page = next_songs(mood, place, settings.SONGS_PER_PAGE)
    visit.record_page(request.session, page)
    return page


def _face_context(face, width, height):
    x, y, w, h = face.box
    return {
        "emotion": face.emotion,
        "confidence": face.probabilities[face.emotion],
        # Percentages, so the boxes follow the photo as the page scales it.
        "left": 100 * x / width,
        "top": 100 * y / height,
        "width": 100 * w / width,
        "height": 100 * h / height,
    }


def _sorted_probabilities(probabilities):
    return sorted(probabilities.items(), key=lambda item: item[1], reverse=True)
