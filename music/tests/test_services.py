"""music.services: the one upsert, and one version of each song served."""

import pytest

from moodsite.testing import make_song
from music.features import REQUIRED_FEATURES
from music.models import Song
from music.services import refresh_primary_versions, upsert_songs

pytestmark = pytest.mark.django_db

FEATURES = {name: 0.5 for name in REQUIRED_FEATURES}
ID = "Svc0000000000000000001"


def test_new_song_gets_derived_fields():
    outcome = upsert_songs(
        {ID: {"name": "Salió El Sol - Remastered", "artists": "Don Omar", **FEATURES}},
        source="csv:x.csv",
        feature_source="reccobeats",
    )
    song = Song.objects.get()
    assert (outcome.new, outcome.features_changed) == (1, [ID])
    assert song.has_features and song.feature_source == "reccobeats"
    assert song.version_key == "salio el sol|don omar"
    assert song.source == "csv:x.csv"


def test_empty_values_never_blank_and_curation_is_never_written():
    Song.objects.create(
        spotify_id=ID,
        name="Old",
        cover_url="https://i.test/c",
        mood_override="sad",
        excluded=True,
        predicted_mood="calm",
        mood_model_version="v1",
        **FEATURES,
    )
    outcome = upsert_songs(
        {ID: {"name": "New", "cover_url": "", "valence": None}}, source="spotify"
    )
    song = Song.objects.get()
    assert (outcome.updated, outcome.features_changed) == (1, [])
    assert (song.name, song.cover_url, song.valence) == ("New", "https://i.test/c", 0.5)
    assert (song.mood_override, song.excluded) == ("sad", True)
    assert song.mood_model_version == "v1"  # metadata only: prediction holds
    with pytest.raises(ValueError, match="mood_override"):
        upsert_songs({ID: {"mood_override": "happy"}}, source="x")


def test_changed_features_mark_the_prediction_stale_and_record_the_source():
    Song.objects.create(
        spotify_id=ID, name="x", mood_model_version="v1", feature_source="catalogue",
        **FEATURES,
    )  # fmt: skip
    outcome = upsert_songs(
        {ID: {"valence": 0.9}}, source="", feature_source="reccobeats"
    )
    song = Song.objects.get()
    assert outcome.features_changed == [ID]
    assert (song.mood_model_version, song.feature_source) == ("", "reccobeats")
    assert Song.objects.needing_classification("v1").get() == song


def test_same_values_are_unchanged():
    upsert_songs({ID: {"name": "x", **FEATURES}}, source="a")
    outcome = upsert_songs({ID: {"name": "x", **FEATURES}}, source="a")
    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 1)


def versions(mood="happy", **fields):
    """Four catalogue entries of one song, as spotify_songs.csv has them."""
    names = [
        "Salió El Sol",
        "Salio El Sol",
        "Salió El Sol - Remastered 2016",
        "Salió El Sol (feat. Guest)",
    ]
    return [
        make_song(name=name, artists="Don Omar", predicted_mood=mood, mood_score=s)
        for name, s in zip(names, [0.5, 0.9, 0.7, 0.1], strict=True)
    ]


def served(mood="happy"):
    return list(Song.objects.recommendable().in_mood(mood))


def test_one_version_of_a_song_is_served_the_best_ranked():
    songs = versions()
    other = make_song(name="Dile", artists="Don Omar")
    assert refresh_primary_versions() == 3
    assert set(served()) == {songs[1], other}


def test_the_next_best_version_takes_over_when_one_is_excluded_or_moved():
    songs = versions()
    refresh_primary_versions()
    Song.objects.filter(pk=songs[1].pk).update(excluded=True)
    refresh_primary_versions(version_keys=["salio el sol|don omar"])
    assert served() == [songs[2]]
    # An override puts a version in another mood: it is that mood's one version.
    Song.objects.filter(pk=songs[0].pk).update(mood_override="calm")
    refresh_primary_versions()
    assert served() == [songs[2]] and served("calm") == [songs[0]]


def test_refresh_scoped_to_keys_leaves_other_keys_alone():
    versions()
    others = [make_song(name="Dile", artists="Don Omar") for _ in range(2)]
    refresh_primary_versions(version_keys=["dile|don omar"])
    assert len(served()) == 4 + 1
    assert sum(song in served() for song in others) == 1


def test_refresh_after_classification_writes_nothing_when_nothing_changed():
    versions()
    assert refresh_primary_versions() == 3
    assert refresh_primary_versions() == 0


def test_scoped_and_full_refresh_agree_on_a_mixed_pool():
    import random

    rng = random.Random(3)
    for n in range(60):
        make_song(
            name=f"Title {n % 7}",
            artists=f"Artist {n % 3}",
            predicted_mood=rng.choice(["happy", "sad"]),
            mood_override=rng.choice(["", "", "calm"]),
            excluded=rng.random() < 0.2,
            mood_score=rng.choice([None, 0.0, 0.5, rng.random()]),
            mood_confidence=rng.choice([None, 0.0, rng.random()]),
        )
    refresh_primary_versions()
    full = dict(Song.objects.values_list("pk", "is_primary_version"))
    Song.objects.update(is_primary_version=True)
    keys = Song.objects.values_list("version_key", flat=True)
    refresh_primary_versions(version_keys=keys)
    assert dict(Song.objects.values_list("pk", "is_primary_version")) == full
    assert 0 < sum(not flag for flag in full.values()) < 60
