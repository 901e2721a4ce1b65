"""Small catalogue CSVs written into tmp_path, one helper per supported format."""

import csv

import pytest

from moodsite.testing import build_tiny_mood_model

FEATURES = {
    "danceability": "0.748",
    "energy": "0.916",
    "key": "6",
    "loudness": "-2.634",
    "mode": "1",
    "speechiness": "0.0583",
    "acousticness": "0.102",
    "instrumentalness": "0",
    "liveness": "0.0653",
    "valence": "0.518",
    "tempo": "122.036",
}

HEADERS = {
    "tidytuesday": (
        "track_id,track_name,track_artist,track_popularity,track_album_id,"
        "track_album_name,track_album_release_date,playlist_name,playlist_id,"
        "playlist_genre,playlist_subgenre,danceability,energy,key,loudness,mode,"
        "speechiness,acousticness,instrumentalness,liveness,valence,tempo,duration_ms"
    ).split(","),
    "data_moods": (
        "name,album,artist,id,release_date,popularity,length,danceability,"
        "acousticness,energy,instrumentalness,liveness,valence,loudness,speechiness,"
        "tempo,key,time_signature,mood"
    ).split(","),
    "kaggle_160k": (
        "valence,year,acousticness,artists,danceability,duration_ms,energy,explicit,"
        "id,instrumentalness,key,liveness,loudness,mode,name,popularity,release_date,"
        "speechiness,tempo"
    ).split(","),
    "exportify": [
        "Track URI",
        "Track Name",
        "Artist URI(s)",
        "Artist Name(s)",
        "Album URI",
        "Album Name",
        "Album Artist URI(s)",
        "Album Artist Name(s)",
        "Album Release Date",
        "Album Image URL",
        "Disc Number",
        "Track Number",
        "Track Duration (ms)",
        "Track Preview URL",
        "Explicit",
        "Popularity",
        "ISRC",
        "Added By",
        "Added At",
    ],
}
EXPORTIFY_FEATURE_COLUMNS = [
    "Artist Genres",
    "Danceability",
    "Energy",
    "Key",
    "Loudness",
    "Mode",
    "Speechiness",
    "Acousticness",
    "Instrumentalness",
    "Liveness",
    "Valence",
    "Tempo",
    "Time Signature",
]
HEADERS["exportify_features"] = HEADERS["exportify"] + EXPORTIFY_FEATURE_COLUMNS


def track_id(n):
    """A valid 22-character base62 Spotify id, distinct for each n."""
    return f"Trk{n:019d}"


def album_id(n):
    return f"Alb{n:019d}"


def tidytuesday_row(n):
    return {
        "track_id": track_id(n),
        "track_name": f"Song {n}",
        "track_artist": f"Artist {n}",
        "track_popularity": "66",
        "track_album_id": album_id(n),
        "track_album_name": f"Album {n}",
        "track_album_release_date": "2019-06-14",
        "playlist_name": "Pop Remix",
        "playlist_id": "37i9dQZF1DXcZDD7cfEKhW",
        "playlist_genre": "pop",
        "playlist_subgenre": "dance pop",
        **FEATURES,
        "duration_ms": "194754",
    }


def data_moods_row(n):
    return {
        "name": f"Song {n}",
        "album": f"Album {n}",
        "artist": f"Artist {n}",
        "id": track_id(n),
        "release_date": "1982-10-27",
        "popularity": "68",
        "length": "379266",
        **{k: v for k, v in FEATURES.items() if k != "mode"},
        "time_signature": "4",
        "mood": "Happy",
    }


def kaggle_160k_row(n):
    return {
        **FEATURES,
        "year": "1921",
        "artists": f"['Artist {n}', 'Guest {n}']",
        "duration_ms": "831667",
        "explicit": "0",
        "id": track_id(n),
        "name": f"Song {n}",
        "popularity": "4",
        "release_date": "1921",
    }


def exportify_row(n):
    return {
        "Track URI": f"spotify:track:{track_id(n)}",
        "Track Name": f"Song {n}",
        "Artist URI(s)": "spotify:artist:0TnOYISbd1XYRBk9myaseg",
        "Artist Name(s)": f"Artist {n},Guest {n}",
        "Album URI": f"spotify:album:{album_id(n)}",
        "Album Name": f"Album {n}",
        "Album Artist URI(s)": "spotify:artist:0TnOYISbd1XYRBk9myaseg",
        "Album Artist Name(s)": f"Artist {n}",
        "Album Release Date": "2012-03-01",
        "Album Image URL": f"https://i.scdn.co/image/cover{n}",
        "Disc Number": "1",
        "Track Number": "3",
        "Track Duration (ms)": "210000",
        "Track Preview URL": f"https://p.scdn.co/mp3-preview/{n}",
        "Explicit": "false",
        "Popularity": "71",
        "ISRC": "USRC11200001",
        "Added By": "spotify:user:someone",
        "Added At": "2020-01-01T00:00:00Z",
    }


def exportify_features_row(n):
    row = exportify_row(n)
    row["Artist Genres"] = "dance pop,pop,post-teen pop"
    for column in EXPORTIFY_FEATURE_COLUMNS[1:]:
        # "Time Signature" is the one feature FEATURES lacks.
        row[column] = FEATURES.get(column.replace(" ", "_").lower(), "4")
    return row


ROW_BUILDERS = {
    "tidytuesday": tidytuesday_row,
    "data_moods": data_moods_row,
    "kaggle_160k": kaggle_160k_row,
    "exportify": exportify_row,
    "exportify_features": exportify_features_row,
}


class CatalogueFiles:
    """Writes catalogue CSVs under a test's tmp_path."""

    track_id = staticmethod(track_id)
    album_id = staticmethod(album_id)

    def __init__(self, directory):
        self.directory = directory

    def header(self, format_key):
        return list(HEADERS[format_key])

    def row(self, format_key, n, **overrides):
        """A valid row for song n, with some columns replaced."""
        return {**ROW_BUILDERS[format_key](n), **overrides}

    def write(self, format_key, rows, name=None):
        """Rows are ints (a valid row for that song) or dicts (from row())."""
        path = self.directory / (name or f"{format_key}.csv")
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=HEADERS[format_key])
            writer.writeheader()
            for row in rows:
                if isinstance(row, int):
                    row = self.row(format_key, row)
                writer.writerow(row)
        return path

    def write_text(self, text, name="raw.csv", encoding="utf-8"):
        path = self.directory / name
        path.write_bytes(text.encode(encoding))
        return path

    def write_bytes(self, data, name="raw.csv"):
        path = self.directory / name
        path.write_bytes(data)
        return path


@pytest.fixture
def catalogue(tmp_path):
    return CatalogueFiles(tmp_path)


@pytest.fixture
def mood_model(settings, tmp_path):
    """A tiny real mood model (valence/energy decide) that the site loads."""
    settings.MODELS_DIR = tmp_path / "mood_models"
    build_tiny_mood_model(settings.MODELS_DIR, version="tiny-v1")
    return settings.MODELS_DIR


@pytest.fixture
def no_mood_model(settings, tmp_path):
    """No model file where the site looks: classification must be skipped."""
    settings.MODELS_DIR = tmp_path / "no-models"
    return settings.MODELS_DIR


@pytest.fixture
def instant_retries(monkeypatch):
    """Commands' retry policies skip their waits (backoff and Retry-After);
    what they ask and when they give up stays the same."""
    from music.retrying import RetryPolicy

    init = RetryPolicy.__init__

    def without_waits(self, **kwargs):
        init(self, **{**kwargs, "backoff_base": 0.0, "sleep": lambda seconds: None})

    monkeypatch.setattr(RetryPolicy, "__init__", without_waits)
