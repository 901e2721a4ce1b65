"""Song: has_features kept by save(), and the pool queries."""

import pytest

from music.features import REQUIRED_FEATURES
from music.models import Song

pytestmark = pytest.mark.django_db

FEATURES = {name: 0.5 for name in REQUIRED_FEATURES} | {"loudness": -6.0}


def make_song(n, **fields):
    return Song.objects.create(
        spotify_id=f"Sng{n:019d}", name=f"Song {n}", **{**FEATURES, **fields}
    )


def test_save_keeps_has_features_in_step_with_the_required_features():
    song = make_song(1)
    assert song.has_features is True

    song.tempo = None
    song.save()
    song.refresh_from_db()
    assert song.has_features is False

    song.tempo = 0.0  # zero is a value, not a missing one
    song.save()
    song.refresh_from_db()
    assert song.has_features is True


def test_has_features_cannot_be_forced_through_save():
    song = Song(spotify_id="Sng0000000000000000001", name="x", has_features=True)
    song.save()
    assert Song.objects.get(pk=song.pk).has_features is False


def test_recommendable_needs_features_a_mood_and_not_excluded():
    shown = make_song(1, predicted_mood="happy")
    overridden = make_song(2, mood_override="sad")
    make_song(3, predicted_mood="happy", excluded=True)
    make_song(4)  # no mood yet
    make_song(5, predicted_mood="calm", tempo=None)  # no features

    assert set(Song.objects.recommendable()) == {shown, overridden}


def test_in_mood_lets_the_override_win():
    predicted_happy = make_song(1, predicted_mood="happy")
    overridden_to_sad = make_song(2, predicted_mood="happy", mood_override="sad")
    override_only = make_song(3, mood_override="happy")

    assert set(Song.objects.in_mood("happy")) == {predicted_happy, override_only}
    assert set(Song.objects.in_mood("sad")) == {overridden_to_sad}
    assert overridden_to_sad.mood == "sad"
    assert predicted_happy.mood == "happy"


def test_needing_features():
    make_song(1)
    missing = make_song(2, valence=None)

    assert list(Song.objects.needing_features()) == [missing]


@pytest.mark.parametrize(
    ("artists", "name", "initials"),
    [
        ("Don Omar, Lucenzo", "Salió El Sol", "DO"),
        ("ÁNGELES AZULES", "x", "ÁA"),
        ("Adele", "Hello", "A"),
        ("", "hello world", "HW"),
        ("", "", "♪"),
        ("!!! (Chk Chk Chk)", "x", "CC"),
    ],
)
def test_initials_for_the_missing_cover_tile(artists, name, initials):
    assert Song(artists=artists, name=name).initials == initials


def test_still_in_pool_agrees_with_the_pool_query(make_songs):
    kept = make_songs("calm", 2)
    moved_in = make_songs("sad", 1, mood_override="calm")
    others = [
        *make_songs("calm", 1, excluded=True),
        *make_songs("calm", 1, tempo=None),  # no features
        *make_songs("sad", 1),
        *make_songs("calm", 1, mood_override="happy"),
    ]
    ids = [song.pk for song in kept + moved_in + others]
    in_sql = Song.objects.recommendable().in_mood("calm").filter(pk__in=ids)
    assert set(Song.objects.still_in_pool(ids, "calm")) == set(in_sql)
    assert set(in_sql) == set(kept + moved_in)
