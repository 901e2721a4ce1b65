from datetime import timedelta

import pytest
from django.db import IntegrityError

from recommender import services
from recommender.models import EmotionCorrection, Reading
from recommender.tests.conftest import face


def counts():
    return {
        (c.predicted, c.chosen): c.count
        for c in EmotionCorrection.objects.exclude(count=0)
    }


def test_save_reading_keeps_boxes_and_probabilities_never_pixels(make_reading):
    reading = make_reading(face("sad", box=(1, 2, 30, 40)), size=(100, 80))
    stored = Reading.objects.get(pk=reading.pk)
    assert stored.faces == [
        {"box": [1, 2, 30, 40], "probabilities": face("sad").probabilities}
    ]
    assert (stored.image_width, stored.image_height) == (100, 80)
    assert len(stored.pk) >= 22  # 128 random bits, URL-safe


def test_save_reading_needs_a_face(db):
    with pytest.raises(ValueError):
        services.save_reading(faces=[], image_size=(10, 10))


def test_expired_readings_are_never_found_and_purged_on_the_next_write(
    make_reading, settings
):
    settings.READING_TTL_SECONDS = 60
    old = make_reading(face("sad"))
    Reading.objects.filter(pk=old.pk).update(
        created=old.created - timedelta(seconds=61)
    )
    assert services.find_reading(old.pk) is None
    assert Reading.objects.filter(pk=old.pk).exists()
    new = make_reading(face("happy"))
    assert not Reading.objects.filter(pk=old.pk).exists()
    assert services.find_reading(new.pk) == new


@pytest.mark.django_db(transaction=True)  # autocommit, as a server runs
def test_a_save_that_fails_leaves_the_table_as_it_was(monkeypatch, settings):
    """The purge and the insert are one transaction: an insert that fails
    (here a clash of ids) takes the purge back with it."""
    settings.READING_TTL_SECONDS = 60
    kept = services.save_reading(faces=[face("sad")], image_size=(10, 10))
    expired = services.save_reading(faces=[face("sad")], image_size=(10, 10))
    Reading.objects.filter(pk=expired.pk).update(
        created=expired.created - timedelta(seconds=61)
    )
    unsaved = services.new_reading

    def clashing(**kwargs):
        reading = unsaved(**kwargs)
        reading.pk = kept.pk
        return reading

    monkeypatch.setattr(services, "new_reading", clashing)
    with pytest.raises(IntegrityError):
        services.save_reading(faces=[face("happy")], image_size=(10, 10))
    assert set(Reading.objects.values_list("pk", flat=True)) == {kept.pk, expired.pk}


def test_recommend_for_photo_gives_the_default_choices_songs(make_songs, db):
    calm = {s.pk for s in make_songs("calm", 2)}
    make_songs("happy", 2)
    recommendation = services.recommend_for_photo(
        faces=[face("angry")], image_size=(200, 200)
    )
    assert recommendation.pick.mood == "calm"
    assert {s.pk for s in recommendation.page.songs} <= calm


def test_songs_for_mood_excludes_and_remembers_the_visit(make_songs, settings, client):
    settings.SONGS_PER_PAGE = 2
    songs = [s.pk for s in make_songs("sad", 5)]
    page = services.songs_for_mood(mood="sad", exclude=songs[:3])
    assert {s.pk for s in page.songs} == set(songs[3:])
    session = client.session
    first = services.songs_for_mood(mood="sad", session=session)
    second = services.songs_for_mood(mood="sad", session=session, exclude=songs[:1])
    assert not {s.pk for s in first.songs} & {s.pk for s in second.songs}
    shown = services.songs_shown(mood="sad", session=session)
    assert set(shown) >= set(first.songs + second.songs)


def test_corrections_are_counted_once_per_face_and_move_when_changed(make_reading):
    reading = make_reading(face("fear"), face("happy"))
    services.correct_reading(reading=reading, choice="1", emotion="sad")
    services.correct_reading(reading=reading, choice="1", emotion="sad")
    assert counts() == {("fear", "sad"): 1}
    services.correct_reading(reading=reading, choice="1", emotion="angry")
    assert counts() == {("fear", "angry"): 1}
    pick = services.correct_reading(reading=reading, choice="1", emotion="fear")
    assert counts() == {} and pick.corrected == ""  # the model was right after all
    services.correct_reading(reading=reading, choice="group", emotion="sad")
    assert counts() == {}  # a blend is not a model answer: not counted
    assert Reading.objects.get(pk=reading.pk).corrections == {"group": "sad"}
    other = make_reading(face("fear"))
    services.correct_reading(reading=reading, choice="1", emotion="sad")
    services.correct_reading(reading=other, choice="1", emotion="sad")
    assert counts() == {("fear", "sad"): 2}


def test_correct_reading_refuses_unknown_choices_and_emotions(make_reading):
    reading = make_reading(face("fear"))
    with pytest.raises(ValueError):
        services.correct_reading(reading=reading, choice="group", emotion="sad")
    with pytest.raises(ValueError):
        services.correct_reading(reading=reading, choice="1", emotion="bored")
