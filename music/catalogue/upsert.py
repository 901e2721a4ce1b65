"""Writing one batch of parsed songs: insert new ones, update only what changed.

Bulk writes bypass Song.save(), so has_features is set here with the model's
own rule (features_complete) and `updated` is stamped by hand.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from music.catalogue.fields import IMPORTED_FIELDS
from music.features import AUDIO_FEATURES
from music.models import Song

UPDATABLE_FIELDS = tuple(name for name in IMPORTED_FIELDS if name != "spotify_id")
# Written with every bulk update: derived from the imported fields.
BOOKKEEPING_FIELDS = ("has_features", "mood_model_version", "updated")


@dataclass
class BatchOutcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    without_features: int = 0


def changed_fields(song, values):
    """Fields where the file has a value that differs from the stored one.

    An empty cell never blanks a known value; it only leaves it alone.
    """
    return {
        name
        for name, value in values.items()
        if value not in (None, "") and getattr(song, name) != value
    }


def apply_changes(song, values, fields, now):
    for name in fields:
        setattr(song, name, values[name])
    if fields & set(AUDIO_FEATURES):
        # The stored prediction was made from other numbers: mark it stale.
        song.mood_model_version = ""
    song.has_features = song.features_complete()
    song.updated = now


def new_song(spotify_id, values, source):
    song = Song(spotify_id=spotify_id, source=source, **values)
    song.has_features = song.features_complete()
    return song


def upsert_batch(records, source):
    """records: {spotify_id: {field: value}}. All or nothing for the batch."""
    outcome = BatchOutcome()
    now = timezone.now()
    with transaction.atomic():
        existing = Song.objects.in_bulk(list(records), field_name="spotify_id")
        created, changed, fields_written = [], [], set()
        for spotify_id, values in records.items():
            song = existing.get(spotify_id)
            if song is None:
                song = new_song(spotify_id, values, source)
                created.append(song)
            elif fields := changed_fields(song, values):
                apply_changes(song, values, fields, now)
                changed.append(song)
                fields_written |= fields
            else:
                outcome.unchanged += 1
            outcome.without_features += not song.has_features
        Song.objects.bulk_create(created)
        if changed:
            Song.objects.bulk_update(
                changed, sorted(fields_written) + list(BOOKKEEPING_FIELDS)
            )
    outcome.new, outcome.updated = len(created), len(changed)
    return outcome
