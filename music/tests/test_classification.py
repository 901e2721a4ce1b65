"""classify_songs: what it writes, what it leaves alone, and when it refuses."""

import pandas as pd
import pytest

from moodsite.testing import build_tiny_mood_model as write_mood_model
from music.classification import classify_songs
from music.features import REQUIRED_FEATURES
from music.models import Song
from music.mood import ModelNotAvailable, MoodClassifier

pytestmark = pytest.mark.django_db

FEATURES = {name: 0.5 for name in REQUIRED_FEATURES}


def make_song(n, valence=0.5, energy=0.5, **fields):
    values = {"name": f"Song {n}", **FEATURES, "valence": valence, "energy": energy}
    return Song.objects.create(spotify_id=f"Sng{n:019d}", **{**values, **fields})


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "models"
    write_mood_model(settings.MODELS_DIR, version="v1")
    return settings.MODELS_DIR


def test_writes_prediction_confidence_score_version_and_time(models_dir):
    happy = make_song(1, valence=0.95)
    sad = make_song(2, valence=0.05)
    counts = classify_songs()
    assert counts == {"calm": 0, "happy": 1, "energetic": 0, "sad": 1}
    happy.refresh_from_db()
    sad.refresh_from_db()
    assert (happy.predicted_mood, sad.predicted_mood) == ("happy", "sad")
    probabilities = MoodClassifier().predict_proba(
        pd.DataFrame([happy.feature_values()])
    )
    assert happy.mood_confidence == pytest.approx(probabilities.max(), rel=1e-5)
    assert happy.mood_score == pytest.approx(probabilities[0, 1] * 0.95, rel=1e-5)
    assert happy.mood_model_version == sad.mood_model_version == "v1"
    assert happy.classified_at is not None


def test_only_songs_with_features_in_the_queryset(models_dir):
    inside, outside = make_song(1), make_song(2)
    featureless = make_song(3, tempo=None)
    classify_songs(Song.objects.filter(pk__in=[inside.pk, featureless.pk]))
    assert Song.objects.get(pk=inside.pk).mood_model_version == "v1"
    assert Song.objects.get(pk=outside.pk).mood_model_version == ""
    assert Song.objects.get(pk=featureless.pk).predicted_mood == ""


def test_excluded_songs_are_classified_and_stay_excluded(models_dir):
    song = make_song(1, valence=0.95, excluded=True)
    classify_songs()
    song.refresh_from_db()
    assert song.predicted_mood == "happy"
    assert song.excluded is True


def test_override_stays_and_ranks_the_song_within_the_override(models_dir):
    song = make_song(1, valence=0.95, energy=0.2, mood_override="calm")
    classify_songs()
    song.refresh_from_db()
    assert song.mood_override == "calm"
    assert song.predicted_mood == "happy"  # what the model says, for curators
    assert song.mood == "calm"
    assert Song.objects.in_mood("calm").filter(pk=song.pk).exists()
    probabilities = MoodClassifier().predict_proba(
        pd.DataFrame([song.feature_values()])
    )
    assert song.mood_score == pytest.approx(probabilities[0, 0] * 0.8, rel=1e-5)


def test_retrain_and_reclassify_changes_only_songs_without_override(models_dir):
    free = make_song(1, valence=0.95)
    overridden = make_song(2, valence=0.95, mood_override="energetic")
    classify_songs()
    moods_before = {s.pk: s.mood for s in Song.objects.all()}
    assert moods_before == {free.pk: "happy", overridden.pk: "energetic"}

    write_mood_model(models_dir, favour="sad", version="v2")  # the "retrain"
    classify_songs()
    free.refresh_from_db()
    overridden.refresh_from_db()
    assert free.mood == "sad"
    assert overridden.mood == "energetic"
    assert overridden.mood_override == "energetic"
    assert free.mood_model_version == overridden.mood_model_version == "v2"


def test_batches_cover_every_song_once(models_dir):
    songs = [make_song(n, valence=0.9 if n % 2 else 0.1) for n in range(7)]
    counts = classify_songs(batch_size=2)
    assert sum(counts.values()) == 7
    assert counts["happy"] == 3 and counts["sad"] == 4
    assert not Song.objects.filter(pk__in=[s.pk for s in songs], classified_at=None)


def test_a_filter_on_the_version_does_not_revisit_written_rows(models_dir):
    for n in range(5):
        make_song(n)
    stale = Song.objects.filter(has_features=True).exclude(mood_model_version="v1")
    assert sum(classify_songs(stale, batch_size=2).values()) == 5


def test_given_classifier_is_used(models_dir, tmp_path):
    other = MoodClassifier(write_mood_model(tmp_path / "other", version="other"))
    song = make_song(1)
    classify_songs(classifier=other)
    song.refresh_from_db()
    assert song.mood_model_version == "other"


def test_missing_model_raises_model_not_available(settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "empty"
    make_song(1)
    with pytest.raises(ModelNotAvailable, match="train_mood_model"):
        classify_songs()
    assert Song.objects.get().predicted_mood == ""


@pytest.mark.parametrize("scoped_max", [2000, 0])  # key by key / whole pool
def test_classification_serves_one_version_of_a_song(
    models_dir, monkeypatch, scoped_max
):
    from music import classification

    monkeypatch.setattr(classification, "SCOPED_REFRESH_MAX", scoped_max)
    original = make_song(1, valence=0.9, name="Salió El Sol", artists="Don Omar")
    remaster = make_song(
        2, valence=0.95, name="Salio El Sol - Remastered 2016", artists="Don Omar"
    )
    classify_songs(Song.objects.filter(pk__in=[original.pk, remaster.pk]))
    assert list(Song.objects.recommendable()) == [remaster]  # the happier one
    original.refresh_from_db()
    assert original.predicted_mood == "happy" and not original.is_primary_version
