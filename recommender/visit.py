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
