"""music.spotify: the real spotipy client against the stand-in on 127.0.0.1."""

import email.utils
import time

import pytest
from spotipy import SpotifyException

from music import spotify
from music.retrying import retry_after_seconds
from music.tests.spotify_standin import running_standin


@pytest.fixture
def standin(settings):
    with running_standin(settings) as server:
        yield server


@pytest.fixture
def spotify_client(standin):
    return spotify.build_client(requests_timeout=2)


def test_missing_credentials_name_the_variables(settings):
    settings.SPOTIPY_CLIENT_ID = ""
    settings.SPOTIPY_CLIENT_SECRET = "secret"
    with pytest.raises(spotify.CredentialsMissing, match="SPOTIPY_CLIENT_ID") as exc:
        spotify.build_client()
    assert "SPOTIPY_CLIENT_SECRET" not in str(exc.value)
    settings.SPOTIPY_CLIENT_SECRET = ""
    with pytest.raises(
        spotify.CredentialsMissing, match="ID and SPOTIPY_CLIENT_SECRET"
    ):
        spotify.build_client()


def test_client_gets_a_token_and_searches_the_standin(
    standin, spotify_client, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    page = spotify.search_tracks(spotify_client, "chill", limit=10, offset=0)
    expected = standin.search_results("chill")
    assert [t["id"] for t in page.tracks] == [t["id"] for t in expected[:10]]
    assert page.total == len(expected) and page.has_more
    page = spotify.search_tracks(spotify_client, "chill", limit=10, offset=10)
    assert page.tracks[0]["id"] == expected[10]["id"]
    assert len(standin.requests_to("/api/token")) == 1  # the token is reused
    assert list(tmp_path.iterdir()) == []  # and kept in memory, not in a .cache file


def test_standin_refuses_search_pages_over_ten(spotify_client):
    with pytest.raises(SpotifyException) as exc:
        spotify.search_tracks(spotify_client, "chill", limit=11, offset=0)
    assert exc.value.http_status == 400


def test_429_reaches_the_caller_with_retry_after_and_no_retry(standin, spotify_client):
    standin.add_fault("/v1/search", status=429, retry_after=7)
    with pytest.raises(SpotifyException) as exc:
        spotify.search_tracks(spotify_client, "chill", limit=10, offset=0)
    assert exc.value.http_status == 429
    assert retry_after_seconds(exc.value) == 7
    assert len(standin.requests_to("/v1/search")) == 1


def test_5xx_reaches_the_caller_without_spotipy_retrying(standin, spotify_client):
    standin.add_fault("/v1/search", status=503, times=None)
    with pytest.raises(SpotifyException) as exc:
        spotify.search_tracks(spotify_client, "chill", limit=10, offset=0)
    assert exc.value.http_status == 503
    assert len(standin.requests_to("/v1/search")) == 1


def test_playlist_reads_items_with_the_2026_item_key(standin, spotify_client):
    ids = [t["id"] for t in standin.tracks[:12]]
    standin.add_playlist("37i9dQZF1DXcBWIGoYBM5M", [ids[0], None, *ids[1:]])
    page, endpoint = spotify.playlist_tracks(
        spotify_client, "37i9dQZF1DXcBWIGoYBM5M", limit=5, offset=0
    )
    assert endpoint == "items"
    assert page.tracks[0]["id"] == ids[0]
    assert page.tracks[1]["is_local"] is True
    assert page.total == 13 and page.has_more
    assert standin.requests_to("/v1/playlists/37i9dQZF1DXcBWIGoYBM5M/tracks") == []


def test_playlist_falls_back_to_tracks_on_404(standin, spotify_client):
    standin.playlist_items_404 = True
    standin.playlist_tracks_404 = False
    ids = [t["id"] for t in standin.tracks[:3]]
    standin.add_playlist("37i9dQZF1DXcBWIGoYBM5M", ids)
    page, endpoint = spotify.playlist_tracks(
        spotify_client, "37i9dQZF1DXcBWIGoYBM5M", limit=50, offset=0
    )
    assert endpoint == "tracks"
    assert [t["id"] for t in page.tracks] == ids
    assert not page.has_more


def test_unknown_playlist_is_a_404(spotify_client):
    with pytest.raises(SpotifyException) as exc:
        spotify.playlist_tracks(spotify_client, "0" * 22, limit=50, offset=0)
    assert exc.value.http_status == 404


def test_audio_features_allowed_and_forbidden(standin, spotify_client):
    ids = [t["id"] for t in standin.tracks[:3]]
    features = spotify.audio_features(spotify_client, [*ids, "1" * 22])
    assert set(features) == set(ids)  # the unknown id has none
    assert features[ids[0]]["valence"] == standin.features[ids[0]]["valence"]
    standin.audio_features_allowed = False
    with pytest.raises(SpotifyException) as exc:
        spotify.audio_features(spotify_client, ids)
    assert exc.value.http_status == 403


def test_track_fields_from_a_track_object(standin):
    track = standin.public(standin.tracks[1])
    fields = spotify.track_fields(track)
    assert fields["spotify_id"] == track["id"]
    assert fields["artists"] == "Artist 1, Guest 1"
    assert fields["album"] == track["album"]["name"]
    assert fields["album_id"] == track["album"]["id"]
    assert fields["cover_url"].endswith("/640")  # the largest image
    assert fields["preview_url"] == track["preview_url"]
    assert fields["release_date"] == track["album"]["release_date"]
    assert "popularity" not in fields  # gone since 2026: keep what we had
    assert spotify.track_fields({**track, "popularity": 42})["popularity"] == 42


@pytest.mark.parametrize(
    "track",
    [
        None,
        {"id": None, "is_local": True, "name": "x"},
        {"id": "short", "name": "x"},
        {"id": "4uLU6hMCjMI75M1A2tKUQC", "type": "episode", "name": "x"},
    ],
)
def test_tracks_without_a_usable_id_give_no_fields(track):
    assert spotify.track_fields(track) is None


@pytest.mark.parametrize(
    "value",
    [
        "37i9dQZF1DXcBWIGoYBM5M",
        "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M",
        "spotify:user:someone:playlist:37i9dQZF1DXcBWIGoYBM5M",
        "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M?si=abc",
        "https://open.spotify.com/intl-de/playlist/37i9dQZF1DXcBWIGoYBM5M",
    ],
)
def test_playlist_ids_from_ids_uris_and_urls(value):
    assert spotify.parse_playlist_id(value) == "37i9dQZF1DXcBWIGoYBM5M"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "chill",
        "spotify:album:37i9dQZF1DXcBWIGoYBM5M",
        "https://example.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
        "https://open.spotify.com/album/37i9dQZF1DXcBWIGoYBM5M",
    ],
)
def test_other_values_are_not_playlists(value):
    with pytest.raises(ValueError, match="Not a Spotify playlist"):
        spotify.parse_playlist_id(value)


def test_retry_after_as_seconds_date_or_missing():
    def exc(headers):
        return SpotifyException(429, -1, "slow down", headers=headers)

    assert retry_after_seconds(exc({"Retry-After": "3600"})) == 3600
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    assert 110 <= retry_after_seconds(exc({"Retry-After": later})) <= 120
    assert retry_after_seconds(exc({})) == 1


def test_several_tracks_through_spotipy(standin, spotify_client):
    ids = [t["id"] for t in standin.tracks[:3]]
    tracks = spotify_client.tracks(ids)["tracks"]
    assert [spotify.track_fields(t)["spotify_id"] for t in tracks] == ids
