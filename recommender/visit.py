"""What one visit remembers, in its (signed-cookie) session: per mood, a `Place`;
whether the music matches or lifts the mood; the readings of its own photos.

A place is a few numbers however long the visit, so the cookie never nears its
4 KB limit and no visit writes a database row.
"""

import random

from recommender.mapping import direction_or_default
from recommender.selection import Place

PLACES_KEY = "moodsite_places"
DIRECTION_KEY = "moodsite_direction"
OWN_READINGS_KEY = "moodsite_own_readings"
# The visit's latest photos it knows as its own ("You look"), not a shared
# link's ("They look"): enough for a visit, small enough for the cookie.
OWN_READINGS_KEPT = 20


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


def direction(session):
    """Match or lift, as the visit last chose (match until it chooses)."""
    return direction_or_default(session.get(DIRECTION_KEY))


def choose_direction(session, value):
    """Keep the visit's choice; written only when it changes (the live camera
    says it with every frame, and each write is a new cookie)."""
    value = direction_or_default(value)
    if session.get(DIRECTION_KEY) != value:
        session[DIRECTION_KEY] = value


def remember_own_reading(session, reading_id):
    """This visit sent the photo of `reading_id`: its page speaks to "you"."""
    own = [pk for pk in session.get(OWN_READINGS_KEY, []) if pk != reading_id]
    session[OWN_READINGS_KEY] = (own + [reading_id])[-OWN_READINGS_KEPT:]


def is_own_reading(session, reading_id):
    return reading_id in session.get(OWN_READINGS_KEY, [])
