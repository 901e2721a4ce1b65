"""A connected listener's taste, and how it orders the songs of a mood.

Pure functions: the profile is built once per connection from Spotify's top
artists and tracks (music.spotify_account fetches them), kept in the
listener's account store as plain JSON, and used to put their matches first:

    0  a song by one of their artists (top artists, then top tracks' artists)
    1  a song whose genre is one of their artists' genres
    2  a song of the same genre family ("pop" for "dance pop": the last word)

Spotify stopped sending artist genres to many apps, so a profile may have
none; then only artists count.
"""

import hashlib
import json

from django.db.models import Q

BY_ARTIST, BY_GENRE, BY_GENRE_FAMILY = 0, 1, 2
# Enough to cover 2 x 50 top artists and their top tracks' artists.
MAX_ARTISTS = 150


def build_profile(top_artists, top_tracks):
    """{artist_names, genres, track_ids} from Spotify's top artist and track objects."""
    names, genres, track_ids = [], [], []
    for artist in top_artists:
        _add(names, _normal(artist.get("name")))
        for genre in artist.get("genres") or []:
            _add(genres, _normal(genre))
    for track in top_tracks:
        _add(track_ids, track.get("id"))
        for artist in track.get("artists") or []:
            _add(names, _normal(artist.get("name")))
    return {
        "artist_names": names[:MAX_ARTISTS],
        "genres": genres,
        "track_ids": track_ids,
    }


def is_empty(profile):
    return not (profile and (profile.get("artist_names") or profile.get("genres")))


def profile_key(profile):
    """A short key that changes whenever the profile does (for caches)."""
    text = json.dumps(profile, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def taste_rank(song, profile):
    """BY_ARTIST, BY_GENRE, BY_GENRE_FAMILY, or None when the song does not match."""
    # ", "-framed so "Artist 1" does not match "Artist 12", and names with a
    # comma inside ("Tyler, The Creator") still match whole.
    artists = f", {_normal(song.artists)}, "
    if any(f", {name}, " in artists for name in profile.get("artist_names", ())):
        return BY_ARTIST
    genre = _normal(song.genre)
    if not genre:
        return None
    genres = profile.get("genres", ())
    if genre in genres:
        return BY_GENRE
    if _family(genre) in {_family(g) for g in genres}:
        return BY_GENRE_FAMILY
    return None


def order_by_taste(songs, profile):
    """The songs that match the profile, best match first (stable otherwise)."""
    ranked = [(taste_rank(song, profile), song) for song in songs]
    matching = [(rank, song) for rank, song in ranked if rank is not None]
    return [song for _, song in sorted(matching, key=lambda pair: pair[0])]


def put_taste_first(songs, profile):
    """All the songs, the profile's matches first (stable within each group)."""
    preferred = order_by_taste(songs, profile)
    chosen = {id(song) for song in preferred}
    return preferred + [song for song in songs if id(song) not in chosen]


def candidate_filter(profile):
    """A Q narrowing Songs to possible matches (confirm each with taste_rank).

    `icontains` on the artists text over-matches ("Artist 1" in "Artist 12")
    and is case-insensitive only for ASCII on SQLite; taste_rank decides.
    """
    query = Q(pk__in=[])
    for name in profile.get("artist_names", ()):
        query |= Q(artists__icontains=name)
    families = {_family(genre) for genre in profile.get("genres", ())}
    for family in families:
        query |= Q(genre__iendswith=family)
    return query


def _family(genre):
    return genre.rsplit(" ", 1)[-1]


def _normal(text):
    return " ".join((text or "").split()).lower()


def _add(items, value):
    if value and value not in items:
        items.append(value)
