"""manage.py fill_features against the ReccoBeats stand-in, with the real client."""

import io

import pytest
from django.core.management import CommandError, call_command

from music.models import Song
from music.tests.spotify_standin import running_standin

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin(settings, no_mood_model, instant_retries):
    settings.FEATURES_PROVIDER = "reccobeats"
    with running_standin(settings) as server:
        yield server


def fill(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("fill_features", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def songs_without_features(standin, n):
    tracks = standin.tracks[:n]
    for track in tracks:
        Song.objects.create(spotify_id=track["id"], name=track["name"])
    return [track["id"] for track in tracks]


def batch_sizes(standin):
    requests = standin.requests_to("/reccobeats/v1/audio-features")
    return [len(r.query["ids"].split(",")) for r in requests]


def test_fills_in_batches_of_40_and_records_the_source(standin):
    ids = songs_without_features(standin, 90)
    standin.reccobeats_unknown = {ids[5]}

    out, _ = fill()

    assert batch_sizes(standin) == [40, 40, 10]
    assert "reccobeats: features for 89 songs, 1 unknown to it" in out
    song = Song.objects.get(spotify_id=ids[0])
    assert song.has_features and song.feature_source == "reccobeats"
    assert song.valence == pytest.approx(standin.features[ids[0]]["valence"] + 0.03)
    assert song.duration_ms is None  # ReccoBeats does not give it
    unknown = Song.objects.get(spotify_id=ids[5])
    assert not unknown.has_features and unknown.features_checked_at is not None


def test_a_rerun_asks_only_for_what_is_missing_and_retry_asks_again(standin):
    ids = songs_without_features(standin, 10)
    standin.reccobeats_unknown = {ids[0]}
    fill()
    fill()
    assert batch_sizes(standin) == [10]  # nothing left to ask
    standin.reccobeats_unknown = set()
    fill("--retry")
    assert batch_sizes(standin) == [10, 1]
    assert Song.objects.filter(has_features=True).count() == 10


def test_429_is_waited_out_and_5xx_retried(standin):
    songs_without_features(standin, 5)
    standin.add_fault("/reccobeats/", status=429, retry_after=1)
    standin.add_fault("/reccobeats/", status=503, times=2)
    fill()
    statuses = [r.status for r in standin.requests_to("/reccobeats/v1/audio-features")]
    assert statuses == [429, 503, 503, 200]
    assert Song.objects.filter(has_features=True).count() == 5


def test_long_429_stops_resumably_keeping_what_was_stored(standin, settings):
    settings.SPOTIFY_MAX_RETRY_AFTER = 5
    ids = songs_without_features(standin, 100)
    standin.add_fault("/reccobeats/", status=429, retry_after=3600, skip=1)

    with pytest.raises(CommandError, match="run fill_features again") as exc:
        fill()
    assert exc.value.returncode == 75
    assert set(
        Song.objects.filter(has_features=True).values_list("spotify_id", flat=True)
    ) == set(ids[:40])

    fill()
    assert Song.objects.filter(has_features=True).count() == 100


def test_persistent_5xx_skips_the_batch_unmarked_for_next_time(standin):
    songs_without_features(standin, 50)
    standin.add_fault("/reccobeats/", status=502, times=4)  # all of batch one
    with pytest.raises(CommandError, match="could not be asked"):
        fill()
    assert Song.objects.filter(has_features=True).count() == 10
    assert (
        Song.objects.filter(features_checked_at=None, has_features=False).count() == 40
    )
    fill()
    assert Song.objects.filter(has_features=True).count() == 50


def test_found_features_are_classified(standin, mood_model):
    songs_without_features(standin, 5)
    out, _ = fill()
    assert "classified: " in out
    assert Song.objects.recommendable().count() == 5


def test_provider_none_is_a_clear_error(standin, settings):
    settings.FEATURES_PROVIDER = "none"
    with pytest.raises(CommandError, match="FEATURES_PROVIDER is none"):
        fill()
