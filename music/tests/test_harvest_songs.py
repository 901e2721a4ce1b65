"""manage.py harvest_songs and music.harvest, against the Spotify stand-in.

The real spotipy client talks HTTP to music.tests.spotify_standin on
127.0.0.1; nothing of spotipy is mocked.
"""

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from music import spotify
from music.feature_providers import build_provider
from music.harvest import Harvester
from music.models import HarvestRun, Song
from music.tests.spotify_standin import (
    CLIENT_ID,
    CLIENT_SECRET,
    running_standin,
)

PLAYLIST_ID = "37i9dQZF1DX4WYpdgoIcn6"


@pytest.fixture
def standin(settings):
    with running_standin(settings) as server:
        yield server


@pytest.fixture(autouse=True)
def fast_and_modelless(monkeypatch, settings, no_mood_model):
    # No backoff waits, and no mood model unless a test asks for one. Spotify's
    # own audio-features unless a test picks ReccoBeats.
    monkeypatch.setattr(Harvester, "backoff_base", 0.0)
    settings.FEATURES_PROVIDER = "spotify"


def harvest(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("harvest_songs", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def harvester_for(run, **kwargs):
    kwargs.setdefault("sleep", lambda seconds: None)
    timeout = kwargs.pop("timeout", 5)
    client = spotify.build_client(requests_timeout=timeout)
    features = build_provider(spotify_client=client, timeout=timeout)
    return Harvester(run, client, features=features, **kwargs)


def features_of(standin, spotify_id, **overrides):
    features = {k: v for k, v in standin.features[spotify_id].items() if k != "id"}
    return {**features, **overrides}


def stored_ids():
    return set(Song.objects.values_list("spotify_id", flat=True))


def search_ids(standin, query, limit):
    return [track["id"] for track in standin.search_results(query)[:limit]]


def search_offsets(standin):
    return [int(r.query["offset"]) for r in standin.requests_to("/v1/search")]


@pytest.mark.django_db
def test_full_harvest_of_a_search_and_a_playlist(standin):
    chill = search_ids(standin, "chill", 25)
    others = [t["id"] for t in standin.tracks if t["id"] not in chill][:20]
    # A local file (no id), five tracks the search also finds, then others.
    standin.add_playlist(PLAYLIST_ID, [None, *chill[:5], *others])

    out, err = harvest(
        "--search",
        "chill",
        "--limit",
        "25",
        "--playlist",
        f"https://open.spotify.com/playlist/{PLAYLIST_ID}?si=x",
    )

    search = standin.requests_to("/v1/search")
    assert [int(r.query["limit"]) for r in search] == [10, 10, 5]
    assert search_offsets(standin) == [0, 10, 20]
    playlist_pages = standin.requests_to(f"/v1/playlists/{PLAYLIST_ID}/items")
    assert [int(r.query["limit"]) for r in playlist_pages] == [25]
    playlist = [*chill[:5], *others[:19]]  # 25 items read, one of them local
    assert stored_ids() == set(chill) | set(playlist)

    run = HarvestRun.objects.get()
    assert run.state == HarvestRun.FINISHED and run.finished is not None
    # The five songs both sources found were written once, then seen again.
    assert (run.new_count, run.updated_count, run.unchanged_count) == (44, 0, 5)
    assert (run.skipped_count, run.without_features_count) == (1, 0)
    assert f"Harvest #{run.pk} finished: 44 new, 0 updated, 5 unchanged" in out
    assert err == ""

    track = standin.by_id[chill[3]]
    song = Song.objects.get(spotify_id=chill[3])
    assert song.name == track["name"]
    assert song.artists == ", ".join(a["name"] for a in track["artists"])
    assert (song.album, song.album_id) == (track["album"]["name"], track["album"]["id"])
    assert song.cover_url == f"https://i.test/{track['album']['id']}/640"
    assert song.release_date == track["album"]["release_date"]
    assert song.popularity is None  # development-mode apps get none
    assert song.has_features and song.feature_source == "spotify"
    assert song.valence == standin.features[chill[3]]["valence"]


@pytest.mark.django_db
def test_audio_features_403_falls_back_to_catalogue_features(standin):
    standin.audio_features_allowed = False
    expected = search_ids(standin, "chill", 30)
    catalogued = expected[2:30:6]  # five songs from an imported catalogue
    for spotify_id in catalogued:
        Song.objects.create(
            spotify_id=spotify_id,
            name="old name",
            mood_override="sad",
            excluded=True,
            **features_of(standin, spotify_id, valence=0.123),
        )

    out, err = harvest("--search", "chill", "--limit", "30")

    assert len(standin.requests_to("/v1/audio-features")) == 1
    assert err.count("spotify refused this app (HTTP 403 from Spotify)") == 1
    assert stored_ids() == set(expected)
    for song in Song.objects.filter(spotify_id__in=catalogued):
        assert song.has_features and song.valence == 0.123  # kept, not blanked
        assert (song.mood_override, song.excluded) == ("sad", True)  # curation kept
        assert song.name == standin.by_id[song.spotify_id]["name"]  # metadata fresh
    rest = Song.objects.exclude(spotify_id__in=catalogued)
    assert rest.count() == 25
    assert not rest.filter(has_features=True).exists()
    assert not rest.exclude(valence=None).exists()
    run = HarvestRun.objects.get()
    assert (run.new_count, run.updated_count, run.without_features_count) == (25, 5, 25)
    assert "25 without features" in out


@pytest.mark.django_db
def test_short_retry_after_is_waited_out(standin):
    standin.add_fault("/v1/search", status=429, retry_after=2, skip=1)
    waits = []
    run = Harvester.create_run(["song"], limit=30)
    harvester_for(run, sleep=waits.append, max_retry_after=5).harvest()
    assert waits == [2]
    assert search_offsets(standin) == [0, 10, 10, 20]  # the same page, asked again
    assert run.state == HarvestRun.FINISHED
    assert stored_ids() == set(search_ids(standin, "song", 30))


@pytest.mark.django_db
def test_long_retry_after_stops_then_resume_completes(standin, settings):
    settings.SPOTIFY_MAX_RETRY_AFTER = 5
    standin.add_fault("/v1/search", status=429, retry_after=3600, skip=2, times=None)

    with pytest.raises(CommandError, match="3600 s") as exc:
        harvest("--search", "song", "--limit", "60")
    run = HarvestRun.objects.get()
    assert exc.value.returncode == 75
    assert f"--resume {run.pk}" in str(exc.value)
    assert run.state == HarvestRun.RATE_LIMITED
    assert run.cursor == {"source": 0, "offset": 20}
    assert stored_ids() == set(search_ids(standin, "song", 20))

    standin.clear_faults()
    asked_before = len(standin.requests_to("/v1/search"))
    out, _ = harvest("--resume")
    assert f"Resuming harvest #{run.pk}" in out
    assert search_offsets(standin)[asked_before:] == [20, 30, 40, 50]
    run.refresh_from_db()
    assert run.state == HarvestRun.FINISHED
    assert HarvestRun.objects.count() == 1
    assert Song.objects.count() == 60
    assert stored_ids() == set(search_ids(standin, "song", 60))


@pytest.mark.django_db
def test_endless_short_retry_afters_stop_the_run(standin):
    standin.add_fault("/v1/search", status=429, retry_after=0, skip=1, times=None)
    run = Harvester.create_run(["song"], limit=30)
    harvester = harvester_for(run)
    harvester.harvest()
    assert run.state == HarvestRun.RATE_LIMITED
    assert "6 times in a row" in run.errors[-1]["message"]
    assert (
        len(standin.requests_to("/v1/search")) == 1 + 1 + Harvester.max_rate_limit_waits
    )
    assert len(harvester.warnings) == Harvester.max_rate_limit_waits
    assert run.cursor == {"source": 0, "offset": 10}


@pytest.mark.django_db
def test_server_errors_are_retried(standin):
    standin.add_fault("/v1/search", status=500, times=2)
    run = Harvester.create_run(["chill"], limit=10)
    harvester_for(run).harvest()
    assert [r.status for r in standin.requests_to("/v1/search")] == [500, 500, 200]
    assert run.state == HarvestRun.FINISHED and run.errors == []
    assert len(stored_ids()) == 10


@pytest.mark.django_db
def test_persistent_server_error_is_recorded_and_the_next_source_runs(standin):
    standin.add_fault("/v1/search", status=502, times=None)
    standin.add_playlist(PLAYLIST_ID, [t["id"] for t in standin.tracks[:7]])

    out, err = harvest("--search", "chill", "--playlist", PLAYLIST_ID)

    assert len(standin.requests_to("/v1/search")) == 1 + Harvester.max_retries
    run = HarvestRun.objects.get()
    assert run.state == HarvestRun.FINISHED
    assert len(run.errors) == 1
    assert "search 'chill' at offset 0: HTTP 502" in run.errors[0]["message"]
    assert "HTTP 502" in err
    assert stored_ids() == {t["id"] for t in standin.tracks[:7]}


@pytest.mark.django_db
def test_slow_answer_times_out_and_is_retried(standin):
    # The stand-in answers the second page only after the client hung up.
    held = standin.add_fault("/v1/search", hold=True, skip=1)
    run = Harvester.create_run(["chill"], limit=20)
    harvester_for(run, timeout=1).harvest()
    assert held.gave_up.is_set()
    assert search_offsets(standin) == [0, 10, 10]
    assert run.state == HarvestRun.FINISHED and run.errors == []
    assert stored_ids() == set(search_ids(standin, "chill", 20))


@pytest.mark.django_db
def test_answers_that_never_come_in_time_fail_the_source(standin, monkeypatch):
    monkeypatch.setattr(Harvester, "max_retries", 1)
    held = standin.add_fault("/v1/search", hold=True, times=None)
    run = Harvester.create_run(["chill"])
    harvester_for(run, timeout=1).harvest()
    assert held.gave_up.is_set()
    assert len(standin.requests_to("/v1/search")) == 2
    assert "did not answer in time" in run.errors[0]["message"]
    assert run.state == HarvestRun.FINISHED and not Song.objects.exists()


@pytest.mark.django_db
def test_missing_credentials_say_what_to_set(settings):
    settings.SPOTIPY_CLIENT_ID = ""
    settings.SPOTIPY_CLIENT_SECRET = ""
    with pytest.raises(CommandError, match="set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT"):
        harvest("--search", "chill")
    assert not HarvestRun.objects.exists()


@pytest.mark.django_db
def test_refused_credentials_fail_the_run(standin, settings):
    settings.SPOTIPY_CLIENT_SECRET = "wrong"
    with pytest.raises(CommandError, match="refused the credentials"):
        harvest("--search", "chill")
    assert HarvestRun.objects.get().state == HarvestRun.FAILED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        ((), "at least one source"),
        (("--playlist", "https://open.spotify.com/album/x"), "Not a Spotify playlist"),
        (("--resume",), "No unfinished harvest"),
        (("--resume", "12"), "No harvest #12"),
        (("--resume", "--search", "chill"), "leave out --search"),
        (("--search", "chill", "--limit", "0"), "must be a whole number"),
        (("--search", "chill", "--timeout", "-1"), "must be a number > 0"),
    ],
)
def test_bad_requests_are_clear_errors(standin, args, message):
    with pytest.raises(CommandError, match=message):
        harvest(*args)
    assert not HarvestRun.objects.exists()


@pytest.mark.django_db
def test_playlist_falls_back_to_tracks_endpoint(standin):
    standin.playlist_items_404 = True
    standin.playlist_tracks_404 = False
    ids = [t["id"] for t in standin.tracks[:110]]
    standin.add_playlist(PLAYLIST_ID, ids)
    harvest("--playlist", f"spotify:playlist:{PLAYLIST_ID}")
    assert len(standin.requests_to(f"/v1/playlists/{PLAYLIST_ID}/items")) == 1
    pages = standin.requests_to(f"/v1/playlists/{PLAYLIST_ID}/tracks")
    assert [int(r.query["offset"]) for r in pages] == [0, 50, 100]
    assert stored_ids() == set(ids)


@pytest.mark.django_db
def test_a_rerun_updates_and_creates_no_duplicates(standin):
    harvest("--search", "rain", "--limit", "15")
    harvest("--search", "rain", "--limit", "15")
    assert Song.objects.count() == 15
    first, second = HarvestRun.objects.order_by("pk")
    assert (first.new_count, second.new_count, second.unchanged_count) == (15, 0, 15)


@pytest.mark.django_db
def test_ctrl_c_interrupts_and_resume_continues(standin):
    def ctrl_c(seconds):
        raise KeyboardInterrupt

    standin.add_fault("/v1/search", status=500, skip=1)
    run = Harvester.create_run(["song"], limit=30)
    harvester_for(run, sleep=ctrl_c).harvest()
    run.refresh_from_db()
    assert run.state == HarvestRun.INTERRUPTED
    assert run.cursor == {"source": 0, "offset": 10}
    assert len(stored_ids()) == 10

    harvester_for(Harvester.run_to_resume()).harvest()
    run.refresh_from_db()
    assert run.state == HarvestRun.FINISHED
    assert stored_ids() == set(search_ids(standin, "song", 30))


@pytest.mark.django_db
def test_ctrl_c_while_a_page_is_written_stores_none_of_that_page(standin, monkeypatch):
    from music import harvest as harvest_module

    upsert, pages = harvest_module.upsert_songs, []

    def upsert_then_ctrl_c(*args, **kwargs):
        outcome = upsert(*args, **kwargs)  # the second page is written...
        pages.append(outcome)
        if len(pages) == 2:
            raise KeyboardInterrupt  # ...but its transaction never commits
        return outcome

    monkeypatch.setattr(harvest_module, "upsert_songs", upsert_then_ctrl_c)
    run = Harvester.create_run(["song"], limit=30)
    harvester_for(run).harvest()
    run.refresh_from_db()
    assert run.state == HarvestRun.INTERRUPTED
    assert run.cursor == {"source": 0, "offset": 10}  # the cursor and the songs
    assert stored_ids() == set(search_ids(standin, "song", 10))  # moved together
    assert run.new_count == 10

    monkeypatch.setattr(harvest_module, "upsert_songs", upsert)
    harvester_for(Harvester.run_to_resume(run.pk)).harvest()
    assert stored_ids() == set(search_ids(standin, "song", 30))
    assert HarvestRun.objects.get().new_count == 30


@pytest.mark.django_db
def test_new_and_stale_songs_are_classified_by_the_one_rule(standin, mood_model):
    expected = search_ids(standin, "chill", 10)
    # Already classified by this model, with the features Spotify has: left alone.
    Song.objects.create(
        spotify_id=expected[0],
        name="x",
        predicted_mood="sad",
        mood_model_version="tiny-v1",
        **features_of(standin, expected[0]),
    )

    out, _ = harvest("--search", "chill", "--limit", "10")

    assert "Classified: " in out
    assert Song.objects.get(spotify_id=expected[0]).predicted_mood == "sad"
    assert Song.objects.filter(mood_model_version="tiny-v1").count() == 10
    assert Song.objects.recommendable().count() == 10


@pytest.mark.django_db
def test_without_a_mood_model_the_harvest_still_succeeds(standin):
    out, _ = harvest("--search", "chill", "--limit", "10")
    assert "mood model unavailable: run classify_songs later" in out
    assert Song.objects.filter(has_features=True).count() == 10


@pytest.mark.slow
def test_killed_harvest_resumes_without_loss_or_duplicates(tmp_path):
    """SIGKILL a real `manage.py harvest_songs` mid-way, then --resume it."""
    database = tmp_path / "harvest.sqlite3"
    with running_standin(catalogue_size=200) as standin:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "moodsite.settings",
            "DATABASE_URL": f"sqlite:///{database}",
            "SPOTIPY_CLIENT_ID": CLIENT_ID,
            "SPOTIPY_CLIENT_SECRET": CLIENT_SECRET,
            "SPOTIFY_API_URL": standin.api_url,
            "SPOTIFY_TOKEN_URL": standin.token_url,
            "MODELS_DIR": str(tmp_path / "no-models"),  # classification: skipped
            "FEATURES_PROVIDER": "spotify",
        }
        manage = [sys.executable, str(django_settings.BASE_DIR / "manage.py")]
        flags = ["--skip-checks", "--no-progress"]
        subprocess.run(
            [*manage, "migrate", "--noinput", "--skip-checks"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        expected = search_ids(standin, "song", 150)

        # The fourth page is held back: when it is asked for, three pages are
        # committed and the harvest is mid-way, waiting. Kill it there.
        held = standin.add_fault("/v1/search", hold=True, skip=3)
        with open(tmp_path / "killed.log", "w") as log:
            process = subprocess.Popen(
                [*manage, "harvest_songs", "--search", "song", "--limit", "150"]
                + flags,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                assert held.arrived.wait(timeout=120), "the harvest never got there"
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        before_kill = read_ids(database)
        state, cursor = read_run(database)
        assert state == "running"  # SIGKILL: nothing could mark it
        assert cursor == {"source": 0, "offset": 30}
        assert set(before_kill) == set(expected[:30])  # cursor never ahead

        offset = cursor["offset"]
        asked_before = len(standin.requests_to("/v1/search"))
        resumed = subprocess.run(
            [*manage, "harvest_songs", "--resume", *flags],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert resumed.returncode == 0, resumed.stderr
        assert search_offsets(standin)[asked_before] == offset

    after = read_ids(database)
    assert len(after) == len(set(after))
    assert set(before_kill) <= set(after)
    assert set(after) == set(expected)
    assert read_run(database)[0] == "finished"


def read_ids(database):
    with sqlite3.connect(database, timeout=10) as connection:
        rows = connection.execute("SELECT spotify_id FROM music_song").fetchall()
    return [row[0] for row in rows]


def read_run(database):
    with sqlite3.connect(database, timeout=10) as connection:
        rows = connection.execute(
            "SELECT state, cursor FROM music_harvestrun"
        ).fetchall()
    assert len(rows) == 1
    return rows[0][0], json.loads(rows[0][1])


@pytest.mark.django_db
def test_a_pool_filled_only_by_harvesting_is_recommended(standin, settings, mood_model):
    """Today's Spotify: 403 from audio-features. ReccoBeats describes the
    tracks, covers come with them (or from oEmbed), and the songs are served."""
    settings.FEATURES_PROVIDER = "reccobeats"
    standin.audio_features_allowed = False
    expected = search_ids(standin, "chill", 20)
    bare = standin.by_id[expected[3]]
    bare["album"] = {**bare["album"], "images": []}  # a track without images

    out, err = harvest("--search", "chill", "--limit", "20")

    assert standin.requests_to("/v1/audio-features") == []
    assert len(standin.requests_to("/reccobeats/v1/audio-features")) == 2  # 10 a page
    songs = Song.objects.all()
    assert songs.count() == 20
    assert all(s.has_features and s.feature_source == "reccobeats" for s in songs)
    assert not songs.filter(cover_url="").exists()
    assert Song.objects.get(spotify_id=expected[3]).cover_url.startswith(
        "https://image-cdn.test/"
    )
    assert "Covers: 1 found, 0 none." in out
    assert Song.objects.recommendable().count() == 20
    assert err == ""


@pytest.mark.django_db
def test_reccobeats_failures_follow_the_harvest_rules(standin, settings):
    settings.FEATURES_PROVIDER = "reccobeats"
    standin.add_fault("/reccobeats/", status=500, times=2)  # retried, then fine
    # Skips the first page's good answer (the 500s are taken by the fault above).
    standin.add_fault("/reccobeats/", status=429, retry_after=1, skip=1)
    waits = []
    run = Harvester.create_run(["chill"], limit=20)
    harvester_for(run, sleep=waits.append, max_retry_after=5).harvest()
    statuses = [r.status for r in standin.requests_to("/reccobeats/v1/audio-features")]
    assert statuses == [500, 500, 200, 429, 200]
    assert waits == [0.0, 0.0, 1]  # backoff (0 in tests), backoff, Retry-After
    assert Song.objects.filter(has_features=True).count() == 20
    assert run.state == HarvestRun.FINISHED and run.errors == []
