"""python manage.py classify_songs [--all]"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from moodsite.testing import build_tiny_mood_model as write_mood_model
from music.features import REQUIRED_FEATURES
from music.models import Song
from music.paging import SONGS_PER_VISIT

pytestmark = pytest.mark.django_db

FEATURES = {name: 0.5 for name in REQUIRED_FEATURES}


def make_song(n, **fields):
    values = {"name": f"Song {n}", **FEATURES, **fields}
    return Song.objects.create(spotify_id=f"Sng{n:019d}", **values)


def run(*args):
    out = StringIO()
    call_command("classify_songs", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "models"
    write_mood_model(settings.MODELS_DIR, version="v2")
    return settings.MODELS_DIR


def test_default_classifies_new_and_stale_songs_only(models_dir):
    new = make_song(1, valence=0.95)
    stale = make_song(2, valence=0.95, mood_model_version="v1", predicted_mood="sad")
    current = make_song(3, valence=0.95, mood_model_version="v2", predicted_mood="sad")
    output = run()
    assert "classified 2 songs with model v2" in output
    assert "happy: 2" in output
    assert Song.objects.get(pk=new.pk).predicted_mood == "happy"
    assert Song.objects.get(pk=stale.pk).predicted_mood == "happy"
    assert Song.objects.get(pk=current.pk).predicted_mood == "sad"  # untouched


def test_all_reclassifies_every_song_with_features(models_dir):
    current = make_song(
        1, valence=0.05, mood_model_version="v2", predicted_mood="happy"
    )
    output = run("--all")
    assert "classified 1 songs" in output
    assert Song.objects.get(pk=current.pk).predicted_mood == "sad"


def test_reports_songs_skipped_for_missing_features(models_dir):
    make_song(1)
    make_song(2, tempo=None)
    output = run()
    assert "classified 1 songs" in output
    assert "skipped 1 songs without audio features" in output
    assert Song.objects.get(tempo=None).predicted_mood == ""


def test_overrides_are_left_alone(models_dir):
    song = make_song(1, valence=0.05, mood_override="happy")
    run("--all")
    song.refresh_from_db()
    assert (song.mood_override, song.predicted_mood, song.mood) == (
        "happy",
        "sad",
        "happy",
    )


def test_missing_model_is_a_command_error(settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "nothing"
    make_song(1)
    with pytest.raises(CommandError, match="no mood model .* train_mood_model"):
        run()


def test_bad_batch_size_is_a_command_error(models_dir):
    with pytest.raises(CommandError, match="--batch-size"):
        run("--batch-size", "0")


def test_reports_each_moods_servable_pool_and_flags_thin_ones(models_dir):
    for n in range(SONGS_PER_VISIT + 1):
        make_song(n, valence=0.95, name="Same song" if n < 2 else f"Song {n}")
    # (the two "Same song" rows differ only in id: one song to a listener)
    make_song(SONGS_PER_VISIT + 20, valence=0.05)  # sad
    output = run()
    assert "servable songs per mood (one version of each song):" in output
    assert "  happy: 48\n" in output  # 49 happy songs, two of them one song
    assert "  sad: 1  <- fewer than the 48 a visit pages through" in output
    assert "  calm: 0  <- fewer than the 48" in output
