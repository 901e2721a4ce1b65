"""Reads about the song pool as a whole: how big each mood is, and when that
is too few for a visit."""

from music.models import Song
from music.moods import MOODS
from music.paging import SONGS_PER_VISIT


def mood_pool_sizes():
    """{mood: number of songs a visitor can be served under it}."""
    servable = Song.objects.recommendable()
    return {mood: servable.in_mood(mood).count() for mood in MOODS}


def thin_moods(sizes=None):
    """{mood: size} for the moods with fewer songs than a visit pages through."""
    sizes = mood_pool_sizes() if sizes is None else sizes
    return {mood: size for mood, size in sizes.items() if size < SONGS_PER_VISIT}
