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

from faces import scene
from faces.classifier import EMOTIONS, read_version
from music.moods import MOODS
from recommender import selection, visit
from recommender.mapping import MATCH
from recommender.models import (
    SCENE_CHOICE,
    EmotionCorrection,
    Pick,
    Reading,
    SceneCorrection,
    ScenePick,
)


@dataclass(frozen=True)
class Recommendation:
    reading: Reading
    pick: Pick | ScenePick  # the face (or the group, or the scene) songs follow
    page: selection.SongPage


@transaction.atomic
def save_reading(*, faces, image_size):
    """Keep what the model read in a photo (never the photo) and return the Reading.

    `faces`: the analysis' face results (anything with .box and
    .probabilities); `image_size`: (width, height) of the pixels the boxes
    refer to. The faces are kept left to right, so that face 1 is the one
    people count first. Expired readings are purged on this write.

    One transaction: a reading is one row (its faces in it), and the purge
    and the insert commit together or not at all, so a server killed or a
    database lost mid-save leaves no part of it (moodsite/tests/test_two_servers.py
    kills a server under load and checks).
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
            for face in sorted(faces, key=lambda face: face.box[0])
        ],
        emotion_model_version=read_version(settings.MODELS_DIR),
    )


@transaction.atomic
def save_scene_reading(*, probabilities, image_size):
    """Keep a photo's scene mood when it has no face: {mood: p} (MOODS order)."""
    if set(probabilities) != set(MOODS):
        raise ValueError(f"a scene reading needs a probability for each of {MOODS}")
    purge_expired_readings()
    width, height = image_size
    return Reading.objects.create(
        kind=Reading.SCENE,
        image_width=width,
        image_height=height,
        faces=[],
        scene={mood: float(probabilities[mood]) for mood in MOODS},
        scene_model_version=scene.read_version(settings.MODELS_DIR),
    )


def read_scene(rgb):
    """uint8 RGB pixels -> {mood: p} from the scene model (faces.scene).

    Raises faces.scene.SceneModelNotAvailable when the model isn't installed.
    """
    (probabilities,) = scene.SceneMoodClassifier().predict_proba([rgb])
    return {mood: float(p) for mood, p in zip(MOODS, probabilities, strict=True)}


def scene_songs(*, reading, session=None, prefer=None):
    """The first songs for a scene reading's mood (its correction wins); the
    same for the same reading and mood, like reading_songs()."""
    pick = reading.scene_pick()
    place = selection.Place.for_key(f"{reading.pk}:{SCENE_CHOICE}:{pick.mood}")
    page = selection.next_songs(
        pick.mood, place, settings.SONGS_PER_PAGE, prefer=prefer
    )
    if session is not None:
        visit.record_page(session, page)
    return Recommendation(reading=reading, pick=pick, page=page)


@transaction.atomic
def correct_scene(*, reading, mood):
    """The visitor says the scene's music should be `mood`: counted anonymously
    (model's mood -> chosen) like face corrections; choosing the model's own
    mood removes the correction. Returns the new ScenePick."""
    if mood not in MOODS:
        raise ValueError(f"unknown mood {mood!r}")
    reading = Reading.objects.select_for_update().get(pk=reading.pk)
    if not reading.is_scene:
        raise ValueError(f"reading {reading.pk} is not a scene reading")
    pick = reading.scene_pick()
    previous, new = pick.corrected, ("" if mood == pick.predicted else mood)
    if new == previous:
        return pick
    for chosen, delta in ((previous, -1), (new, +1)):
        if chosen:
            _count(SceneCorrection, pick.predicted, chosen, delta)
    if new:
        reading.corrections[SCENE_CHOICE] = new
    else:
        reading.corrections.pop(SCENE_CHOICE, None)
    reading.save(update_fields=["corrections"])
    return reading.scene_pick()


def recommend_for_photo(
    *, faces, image_size, session=None, prefer=None, direction=MATCH
):
    """Save the reading and pick the first songs for its default choice."""
    reading = save_reading(faces=faces, image_size=image_size)
    return reading_songs(
        reading=reading, session=session, prefer=prefer, direction=direction
    )


def reading_songs(*, reading, choice=None, session=None, prefer=None, direction=MATCH):
    """The first songs for one choice ("1", "2", ... or "group") of a reading.

    The same each time for the same reading, choice, emotion (a correction
    changes it) and direction (match or lift), so a result URL keeps its songs
    when reloaded or shared; with a session, the visit's *More songs* goes on
    from them. An unknown choice falls back to the reading's default one.
    """
    if reading.is_scene:
        return scene_songs(reading=reading, session=session, prefer=prefer)
    pick = reading.pick(choice, direction) or reading.pick(None, direction)
    place = selection.Place.for_key(
        f"{reading.pk}:{pick.key}:{pick.emotion}:{direction}"
    )
    page = selection.next_songs(
        pick.mood, place, settings.SONGS_PER_PAGE, prefer=prefer
    )
    if session is not None:
        visit.record_page(session, page)
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
            _count(EmotionCorrection, pick.predicted, previous, -1)
        if new:
            _count(EmotionCorrection, pick.predicted, new, +1)
    if new:
        reading.corrections[choice] = new
    else:
        reading.corrections.pop(choice, None)
    reading.save(update_fields=["corrections"])
    return reading.pick(choice)


def _count(model, predicted, chosen, delta):
    model.objects.get_or_create(predicted=predicted, chosen=chosen)
    model.objects.filter(
        predicted=predicted, chosen=chosen, count__gte=max(0, -delta)
    ).update(count=F("count") + delta)
