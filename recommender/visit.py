"""What one visit remembers, in its (signed-cookie) session: per mood, a `Place`.

A place is a few numbers however long the visit, so the cookie never nears its
4 KB limit and no visit writes a database row.
"""

import random

from recommender.selection import Place

PLACES_KEY = "moodsite_places"


def place_in_pool(session, mood, rng=random):
    """Where this visit is in the mood's pool; a fresh shuffle on its first page."""
    saved = session.get(PLACES_KEY, {}).get(mood)
    if saved is None:
        return Place.start(rng)
    return Place(*saved)


def record_page(session, page):
    """Keep where the page left the visit, for the mood's next page."""
    if page.next_place is None:
        return
    places = session.get(PLACES_KEY, {})
    place = page.next_place
    places[page.mood] = [place.seed, place.shown, place.liked]
    session[PLACES_KEY] = places


# The readings this browser made, newest last. A result URL may be shared, but
# only the browser that sent the photo may correct its reading; a few ids keep
# the cookie small (older readings can still be viewed, not corrected).
READINGS_KEY = "moodsite_readings"
MAX_OWN_READINGS = 10


def remember_reading(session, reading_id):
    own = [kept for kept in session.get(READINGS_KEY, []) if kept != reading_id]
    session[READINGS_KEY] = [*own, reading_id][-MAX_OWN_READINGS:]


def made_here(session, reading_id):
    return reading_id in session.get(READINGS_KEY, [])
