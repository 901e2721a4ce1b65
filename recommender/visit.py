"""What one visit remembers, in its (signed-cookie) session.

The last analysis and, per mood, a `Place`: a seed and a count. Both stay the
same size however long the visit, so the cookie never nears its 4 KB limit.
"""

import random

from recommender.selection import Place

ANALYSIS_KEY = "moodsite_analysis"
PLACES_KEY = "moodsite_places"


def remember_analysis(session, *, emotion, probabilities, mood, face_count):
    session[ANALYSIS_KEY] = {
        "emotion": emotion,
        # Rounded: the page shows whole percentages, and the cookie stays small.
        "probabilities": {name: round(p, 4) for name, p in probabilities.items()},
        "mood": mood,
        "face_count": face_count,
    }


def last_analysis(session):
    return session.get(ANALYSIS_KEY)


def place_in_pool(session, mood, rng=random):
    """Where this visit is in the mood's pool; a fresh shuffle on its first page."""
    saved = session.get(PLACES_KEY, {}).get(mood)
    if saved is None:
        return Place.start(rng)
    seed, shown = saved
    return Place(seed=seed, shown=shown)


def record_page(session, page):
    """Keep where the page left the visit, for the mood's next page."""
    if page.next_place is None:
        return
    places = session.get(PLACES_KEY, {})
    places[page.mood] = [page.next_place.seed, page.next_place.shown]
    session[PLACES_KEY] = places
