"""Recommending songs for photos and moods: the one service that the pages, the
API and the live camera call (views stay thin; reads of readings are here too).

Song paging and the visit's place in each mood's pool live in
recommender.selection and recommender.visit; songs_for_mood() and
songs_shown() are the one place that calls them.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from faces.classifier import EMOTIONS, read_version
from recommender import selection, visit
from recommender.models import EmotionCorrection, Pick, Reading


@dataclass(frozen=True)
class Recommendation:
    reading: Reading
    pick: Pick  # the face (or the group) the songs follow
    page: selection.SongPage


def save_reading(*, faces, image_size):
    """Keep what the model read in a photo (never the photo) and return the Reading.

    `faces`: the analysis' face results (anything with .box and
    .probabilities), largest first; `image_size`: (width, height) of the
    pixels the boxes refer to. Expired readings are purged on this write.
    """
    reading = new_reading(faces=faces, image_size=image_size)
    purge_expired_readings()
    reading.save(force_insert=True)
    return reading


def new_reading(*, faces, image_size):
    """The Reading of `faces`, not saved: what its page would show (its picks,
    its default choice) even while the database is down."""
    if not faces:
        raise ValueError("a reading needs at least one face")
    width, height = image_size
    return Reading(
        image_width=width,
        image_height=height,
        faces=[
            {"box": [int(v) for v in face.box], "probabilities": face.probabilities}
            for face in faces
        ],
        emotion_model_version=read_version(settings.MODELS_DIR),
    )


def recommend_for_photo(*, faces, image_size, session=None, exclude=(), prefer=None):
    """Save the reading and pick the first songs for its default choice."""
    reading = save_reading(faces=faces, image_size=image_size)
    pick = reading.pick()
    page = songs_for_mood(
        mood=pick.mood, session=session, exclude=exclude, prefer=prefer
    )
    return Recommendation(reading=reading, pick=pick, page=page)


def reading_songs(*, reading, choice=None, session=None, prefer=None):
    """The next songs for one choice ("1", "2", ... or "group") of a reading.

    An unknown choice falls back to the reading's default one.
    """
    pick = reading.pick(choice) or reading.pick()
    page = songs_for_mood(mood=pick.mood, session=session, prefer=prefer)
    return Recommendation(reading=reading, pick=pick, page=page)


def songs_for_mood(*, mood, session=None, exclude=(), count=None, prefer=None):
    """The next page of `mood`'s songs, without repeats within a visit.

    With a session, the visit keeps its place in the mood's pool; without one
    (the API), the caller says which song ids to leave out. `prefer`: a
    connected listener's taste profile, whose matches come first.
    """
    if session is None:
        place = selection.Place.start()
    else:
        place = visit.place_in_pool(session, mood)
    page = selection.next_songs(
        mood,
        place,
        count or settings.SONGS_PER_PAGE,
        prefer=prefer,
        exclude=exclude,
    )
    if session is not None:
        visit.record_page(session, page)
    return page


def pool_size(mood):
    """How many songs a visitor may get for `mood` (cached for a short while)."""
    return selection.pool_size(mood)


def songs_shown(*, mood, session, prefer=None, limit=None):
    """The songs this visit was shown for `mood` (for a playlist of them)."""
    place = visit.place_in_pool(session, mood)
    return selection.songs_shown(
        mood, place, settings.SONGS_PER_PAGE, prefer=prefer, limit=limit
    )


def find_reading(reading_id):
    """The reading with this id if it has not expired, else None."""
    return Reading.objects.fresh().filter(pk=reading_id).first()


def purge_expired_readings():
    """Delete readings older than READING_TTL_SECONDS; returns how many."""
    deleted, _ = Reading.objects.expired().delete()
    return deleted


@transaction.atomic
def correct_reading(*, reading, choice, emotion):
    """The visitor says `choice` shows `emotion`; the songs follow it from now on.

    Counts a face's correction anonymously (model's emotion -> chosen one);
    changing it again moves the count, choosing the model's own answer removes
    it. Group choices are blends, not model answers, so they are not counted.
    Returns the choice's new Pick.
    """
    if emotion not in EMOTIONS:
        raise ValueError(f"unknown emotion {emotion!r}")
    reading = Reading.objects.select_for_update().get(pk=reading.pk)
    pick = reading.pick(choice)
    if pick is None or pick.key != choice:
        raise ValueError(f"reading {reading.pk} has no choice {choice!r}")
    previous = pick.corrected
    new = "" if emotion == pick.predicted else emotion
    if new == previous:
        return pick
    if not pick.is_group:
        if previous:
            _count_correction(pick.predicted, previous, -1)
        if new:
            _count_correction(pick.predicted, new, +1)
    if new:
        reading.corrections[choice] = new
    else:
        reading.corrections.pop(choice, None)
    reading.save(update_fields=["corrections"])
    return reading.pick(choice)


def _count_correction(predicted, chosen, delta):
    EmotionCorrection.objects.get_or_create(predicted=predicted, chosen=chosen)
    EmotionCorrection.objects.filter(
        predicted=predicted, chosen=chosen, count__gte=max(0, -delta)
    ).update(count=F("count") + delta)
