"""Reads about the song pool as a whole: how big each mood is, and when that
is too few for a visit."""

from django.conf import settings

from music.models import Song
from music.mood import MOODS

# The pages of one mood a visit is expected to page through; the recommender
# also draws each page from the best SONGS_PER_PAGE x this many unseen songs,
# and the mood model is measured on that many songs per mood (served
# precision).
PAGES_PER_VISIT = 8


def songs_per_visit():
    """How many songs of one mood a visit pages through: 48 at 6 a page."""
    return settings.SONGS_PER_PAGE * PAGES_PER_VISIT


def mood_pool_sizes():
    """{mood: number of songs a visitor can be served under it}."""
    servable = Song.objects.recommendable()
    return {mood: servable.in_mood(mood).count() for mood in MOODS}


def thin_moods(sizes=None):
    """{mood: size} for the moods with fewer songs than a visit pages through."""
    sizes = mood_pool_sizes() if sizes is None else sizes
    threshold = songs_per_visit()
    return {mood: size for mood, size in sizes.items() if size < threshold}
