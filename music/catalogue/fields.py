"""Turning one CSV cell into a Song field value, or saying why it cannot be.

Every parser takes the cell text and returns the value to store ("" or None
for an empty cell) or raises InvalidValue with a reason a person can act on.
"""

import math
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from music.features import AUDIO_FEATURES, UNIT_INTERVAL_FEATURES
from music.models import Song
from music.spotify import SPOTIFY_ID

RELEASE_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
# pandas writes a missing number as "nan" when asked to; treat it as empty.
EMPTY_NUMBERS = {"", "nan"}
URL = URLValidator(schemes=["http", "https"])


class InvalidValue(ValueError):
    """A cell that cannot be stored; str() is the reason."""


def spotify_id(text):
    text = text.strip()
    if not SPOTIFY_ID.fullmatch(text):
        raise InvalidValue(f"{text!r} is not a 22-character Spotify id")
    return text


def optional_spotify_id(text):
    return spotify_id(text) if text.strip() else ""


def required_text(text):
    text = text.strip()
    if not text:
        raise InvalidValue("is required")
    return text


def release_date(text):
    text = text.strip()
    if text and not RELEASE_DATE.fullmatch(text):
        raise InvalidValue(f"{text!r} is not a date like 2019, 2019-06 or 2019-06-14")
    return text


def url(text):
    text = text.strip()
    if not text:
        return ""
    try:
        URL(text)
    except ValidationError:
        raise InvalidValue(f"{text!r} is not an http(s) URL") from None
    if len(text) > 500:
        raise InvalidValue("is longer than 500 characters")
    return text


def _number(text):
    text = text.strip()
    if text.lower() in EMPTY_NUMBERS:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidValue(f"{text!r} is not a finite number")
    return value


def real(low=None, high=None):
    """A float parser; None bounds are open."""

    def parse(text):
        value = _number(text)
        if value is None:
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            raise InvalidValue(f"{text.strip()!r} is not in {_range(low, high)}")
        return value

    return parse


def integer(low, high):
    """An integer parser; accepts "5.0" as pandas writes integer columns with NaN."""

    def parse(text):
        value = _number(text)
        if value is None:
            return None
        if not value.is_integer() or not low <= value <= high:
            raise InvalidValue(f"{text.strip()!r} is not an integer {low}..{high}")
        return int(value)

    return parse


def _range(low, high):
    if high is None:
        return f"{low}.."
    return f"{low}..{high}"


def _text(max_length):
    # Long names are cut rather than lost: the song is still the same song.
    def parse(text):
        return text.strip()[:max_length]

    return parse


PARSERS = {
    "spotify_id": spotify_id,
    "name": lambda text: required_text(text)[: Song._meta.get_field("name").max_length],
    "artists": _text(Song._meta.get_field("artists").max_length),
    "album": _text(Song._meta.get_field("album").max_length),
    "genre": _text(Song._meta.get_field("genre").max_length),
    "album_id": optional_spotify_id,
    "cover_url": url,
    "preview_url": url,
    "release_date": release_date,
    "popularity": integer(0, 100),
    **{name: real(0, 1) for name in UNIT_INTERVAL_FEATURES},
    "loudness": real(),
    "tempo": real(0),
    "key": integer(-1, 11),
    "mode": integer(0, 1),
    "time_signature": integer(0, 7),
    "duration_ms": integer(0, 2**31 - 1),
}

assert set(AUDIO_FEATURES) <= set(PARSERS), "a feature has no parser"
