"""manage.py compare_features: provider vs catalogue on songs that have both."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from music.models import Song
from music.tests.spotify_standin import running_standin

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin(settings, instant_retries):
    with running_standin(settings) as server:
        yield server


def catalogue_songs(standin, n):
    for track in standin.tracks[:n]:
        features = {k: v for k, v in standin.features[track["id"]].items() if k != "id"}
        Song.objects.create(
            spotify_id=track["id"],
            name=track["name"],
            feature_source="catalogue",
            **features,
        )


def test_reports_differences_and_mood_agreement(standin, tmp_path, mood_model):
    catalogue_songs(standin, 60)
    standin.reccobeats_unknown = {standin.tracks[0]["id"]}
    out = io.StringIO()

    call_command(
        "compare_features", "--sample", "60", "--json", tmp_path / "r.json", stdout=out
    )

    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["asked"], report["compared"]) == (60, 59)
    # The stand-in shifts energy, valence and danceability by +0.03 (clipped at 1).
    assert 0.02 < report["features"]["energy"]["bias"] <= 0.03
    assert report["features"]["tempo"] == {
        "bias": 0.0,
        "mean_abs_diff": 0.0,
        "pearson_r": 1.0,
    }
    assert report["features"]["valence"]["pearson_r"] > 0.99
    assert 0.5 < report["mood_agreement"] <= 1.0
    assert "reccobeats vs catalogue: 59 of 60 songs known to it" in out.getvalue()
    assert not Song.objects.filter(feature_source="reccobeats").exists()  # read-only


def test_without_catalogue_songs_it_says_so(standin):
    with pytest.raises(CommandError, match="No songs with catalogue features"):
        call_command("compare_features")
