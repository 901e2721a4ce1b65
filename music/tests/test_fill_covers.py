"""manage.py fill_covers: Spotify's tracks endpoint, else oEmbed, on the stand-in."""

import io
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from music.models import Song
from music.tests.spotify_standin import running_standin

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin(settings, instant_retries):
    with running_standin(settings) as server:
        yield server


def fill(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("fill_covers", "--interval", "0", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def songs_without_covers(standin, n):
    for track in standin.tracks[:n]:
        Song.objects.create(spotify_id=track["id"], name=track["name"])
    return [track["id"] for track in standin.tracks[:n]]


def test_with_credentials_the_tracks_endpoint_is_used_50_at_a_time(standin):
    ids = songs_without_covers(standin, 60)
    out, _ = fill()
    batches = [
        len(r.query["ids"].split(",")) for r in standin.requests_to("/v1/tracks")
    ]
    assert batches == [50, 10]
    assert standin.requests_to("/oembed") == []
    song = Song.objects.get(spotify_id=ids[0])
    album = standin.by_id[ids[0]]["album"]["id"]
    assert song.cover_url == f"https://i.test/{album}/640"  # the largest image
    assert "covers: 60 found" in out


def test_when_spotify_refuses_oembed_takes_over(standin):
    ids = songs_without_covers(standin, 3)
    standin.add_fault("/v1/tracks", status=403, times=None)
    _, err = fill()
    assert "using oEmbed" in err
    asked = [r.query["url"] for r in standin.requests_to("/oembed")]
    assert asked == [f"https://open.spotify.com/track/{i}" for i in ids]
    album = standin.by_id[ids[0]]["album"]["id"]
    assert Song.objects.get(spotify_id=ids[0]).cover_url == (
        f"https://image-cdn.test/{album}"
    )


def test_without_credentials_oembed_is_used_and_unknown_tracks_are_marked(
    standin, settings
):
    settings.SPOTIPY_CLIENT_ID = ""
    ids = songs_without_covers(standin, 3)
    standin.oembed_unknown = {ids[1]}
    out, _ = fill()
    assert "No Spotify credentials: using oEmbed." in out
    assert standin.requests_to("/v1/tracks") == []
    missing = Song.objects.get(spotify_id=ids[1])
    assert missing.cover_url == "" and missing.cover_checked_at is not None
    fill()  # a rerun asks nothing: every song has a cover or was looked up
    assert len(standin.requests_to("/oembed")) == 3
    fill("--retry")
    assert len(standin.requests_to("/oembed")) == 4


def test_throttled_stopped_by_a_long_429_and_resumed(standin, settings):
    settings.SPOTIPY_CLIENT_ID = ""
    settings.SPOTIFY_MAX_RETRY_AFTER = 5
    songs_without_covers(standin, 4)
    standin.add_fault("/oembed", status=429, retry_after=600, skip=2)
    with pytest.raises(CommandError, match="run fill_covers again") as exc:
        fill()
    assert exc.value.returncode == 75
    assert Song.objects.exclude(cover_url="").count() == 2
    fill()
    assert Song.objects.exclude(cover_url="").count() == 4


def test_an_existing_cover_is_never_replaced_or_asked_for(standin):
    ids = songs_without_covers(standin, 2)
    Song.objects.filter(spotify_id=ids[0]).update(cover_url="https://mine.test/c")
    fill()
    assert Song.objects.get(spotify_id=ids[0]).cover_url == "https://mine.test/c"
    (request,) = standin.requests_to("/v1/tracks")
    assert request.query["ids"] == ids[1]


def test_requests_are_spaced_by_the_interval(standin):
    from music.covers import CoverFinder
    from music.retrying import RetryPolicy

    pauses = []
    finder = CoverFinder(
        RetryPolicy(max_retry_after=5), interval=0.25, sleep=pauses.append
    )
    ids = [track["id"] for track in standin.tracks[:3]]
    assert set(finder.find(ids)) == set(ids)
    assert pauses == [0.25, 0.25]  # between the three oEmbed requests, not before


def test_if_reachable_without_an_answer_says_so_and_stops_cleanly(standin, settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    songs_without_covers(standin, 2)
    settings.SPOTIFY_OEMBED_URL = f"http://127.0.0.1:{closed_port}/oembed"
    out, _ = fill("--if-reachable", "--oembed-only")
    assert "the cover source did not answer" in out and "show tiles" in out
    assert not Song.objects.exclude(cover_url="").exists()
    assert not Song.objects.filter(cover_checked_at__isnull=False).exists()


def test_best_first_with_progress_fills_the_best_ranked_songs_first(standin):
    ids = songs_without_covers(standin, 5)
    for rank, pk in enumerate(ids):
        Song.objects.filter(spotify_id=pk).update(mood_score=rank / 10)
    out, _ = fill("--if-reachable", "--oembed-only", "--best-first", "--progress", "2")
    asked = [r.query["url"].rsplit("/", 1)[1] for r in standin.requests_to("/oembed")]
    # One look first (the best song), then the fill from the best down.
    assert asked == [ids[4]] + ids[::-1]
    assert [line for line in out.splitlines() if "songs asked" in line] == [
        "covers: 2 of 5 songs asked, 2 found.",
        "covers: 4 of 5 songs asked, 4 found.",
        "covers: 5 of 5 songs asked, 5 found.",
    ]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_fills_covers_in_the_background_before_serving():
    repo = Path(__file__).resolve().parents[2]

    def commands(*args):
        shown = subprocess.run(
            ["make", "-n", "run", *args], cwd=repo, capture_output=True, text=True
        )
        return shown.stdout.splitlines()

    lines = commands()
    fill = next(i for i, line in enumerate(lines) if "fill_covers" in line)
    serve = next(i for i, line in enumerate(lines) if "runserver" in line)
    assert fill < serve and lines[fill].rstrip().endswith("&")  # the site serves
    assert "--if-reachable" in lines[fill] and "--progress" in lines[fill]
    assert not any("fill_covers" in line for line in commands("COVERS=no"))
