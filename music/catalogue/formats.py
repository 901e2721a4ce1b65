"""The CSV layouts the importer understands, and recognising one from its header.

A format maps Song fields to the column(s) that may hold them. `required`
columns identify the format; the others are read when present. Column order
does not matter and extra columns are ignored.
"""

import ast
from dataclasses import dataclass, field

from music.catalogue.fields import InvalidValue
from music.features import REQUIRED_FEATURES

# Exportify's optional feature columns: "Danceability", ..., "Time Signature".
EXPORTIFY_FEATURES = (*REQUIRED_FEATURES, "key", "mode", "time_signature")


def spotify_uri(kind):
    """'spotify:track:ID' -> 'ID'; anything else (e.g. local files) is refused."""
    prefix = f"spotify:{kind}:"

    def convert(text):
        text = text.strip()
        if not text:
            return ""
        if not text.startswith(prefix):
            raise InvalidValue(f"{text!r} is not a {prefix}<id> URI")
        return text[len(prefix) :]

    return convert


def comma_separated_names(text):
    return ", ".join(name.strip() for name in text.split(",") if name.strip())


def first_of_comma_separated(text):
    return next((item.strip() for item in text.split(",") if item.strip()), "")


def python_list_of_names(text):
    """Kaggle's "['A', 'B']" -> "A, B", parsed without evaluating code."""
    if not text.strip():
        return ""
    try:
        names = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise InvalidValue(f"{text!r} is not a list like ['A', 'B']") from None
    if not isinstance(names, list | tuple) or not all(
        isinstance(name, str) for name in names
    ):
        raise InvalidValue(f"{text!r} is not a list of names")
    return ", ".join(name.strip() for name in names if name.strip())


@dataclass(frozen=True)
class CatalogueFormat:
    key: str
    title: str
    # Song field -> candidate column names, the first one present is read.
    columns: dict
    required: tuple
    converters: dict = field(default_factory=dict)
    # Cells that mean "no value" in this format (R writes NA).
    missing_markers: frozenset = frozenset()

    def missing(self, header):
        return [column for column in self.required if column not in header]

    def bind(self, header):
        """Song field -> (column name, index) for the columns this header has."""
        positions = {column: index for index, column in enumerate(header)}
        bound = {}
        for song_field, candidates in self.columns.items():
            for column in candidates:
                if column in positions:
                    bound[song_field] = (column, positions[column])
                    break
        return bound


def _same_names(*names):
    return {name: (name,) for name in names}


TIDYTUESDAY = CatalogueFormat(
    key="tidytuesday",
    title="TidyTuesday spotify_songs.csv",
    columns={
        "spotify_id": ("track_id",),
        "name": ("track_name",),
        "artists": ("track_artist",),
        "popularity": ("track_popularity",),
        "album_id": ("track_album_id",),
        "album": ("track_album_name",),
        "release_date": ("track_album_release_date",),
        "genre": ("playlist_genre",),
        **_same_names(*REQUIRED_FEATURES, "key", "mode", "duration_ms"),
    },
    required=("track_id", "track_name", "track_artist", *REQUIRED_FEATURES),
    missing_markers=frozenset({"NA"}),
)

DATA_MOODS = CatalogueFormat(
    key="data_moods",
    title="data_moods.csv / moods1.csv",
    # The `mood` column is the source playlist's label: too noisy to keep.
    columns={
        "spotify_id": ("id",),
        "artists": ("artist",),
        "duration_ms": ("length",),
        **_same_names("name", "album", "release_date", "popularity"),
        **_same_names(*REQUIRED_FEATURES, "key", "time_signature"),
    },
    required=("id", "name", "artist", *REQUIRED_FEATURES),
)

KAGGLE_160K = CatalogueFormat(
    key="kaggle_160k",
    title="Kaggle 160k data.csv",
    columns={
        "spotify_id": ("id",),
        **_same_names("name", "artists", "release_date", "popularity"),
        **_same_names(*REQUIRED_FEATURES, "key", "mode", "duration_ms"),
    },
    required=("id", "name", "artists", *REQUIRED_FEATURES),
    converters={"artists": python_list_of_names},
)

EXPORTIFY = CatalogueFormat(
    key="exportify",
    title="Exportify playlist export",
    # Newer Exportify versions shortened some names; accept both.
    columns={
        "spotify_id": ("Track URI",),
        "name": ("Track Name",),
        "artists": ("Artist Name(s)",),
        "album": ("Album Name",),
        "album_id": ("Album URI",),
        "release_date": ("Album Release Date", "Release Date"),
        "cover_url": ("Album Image URL",),
        "preview_url": ("Track Preview URL",),
        "duration_ms": ("Track Duration (ms)", "Duration (ms)"),
        "popularity": ("Popularity",),
        "genre": ("Artist Genres", "Genres"),
        **{name: (name.replace("_", " ").title(),) for name in EXPORTIFY_FEATURES},
    },
    required=("Track URI", "Track Name", "Artist Name(s)"),
    converters={
        "spotify_id": spotify_uri("track"),
        "album_id": spotify_uri("album"),
        "artists": comma_separated_names,
        "genre": first_of_comma_separated,
    },
)

# Checked in this order; the first whose required columns are all present wins.
FORMATS = (EXPORTIFY, TIDYTUESDAY, KAGGLE_160K, DATA_MOODS)


class UnknownFormat(ValueError):
    pass


def detect_format(header):
    """The format this header belongs to, or UnknownFormat saying what each needs."""
    columns = set(header)
    for catalogue_format in FORMATS:
        if not catalogue_format.missing(columns):
            return catalogue_format
    raise UnknownFormat(describe_mismatch(header))


def describe_mismatch(header):
    lines = [
        "unrecognised CSV header (columns found: "
        f"{', '.join(header) if header else 'none'}).",
        "Supported formats (any column order, extra columns ignored), "
        "with the columns each needs:",
    ]
    for catalogue_format in FORMATS:
        missing = catalogue_format.missing(set(header))
        lines.append(
            f"  - {catalogue_format.title}: {', '.join(catalogue_format.required)}"
            f" (missing here: {', '.join(missing)})"
        )
    return "\n".join(lines)
