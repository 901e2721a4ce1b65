"""music.spotify_account against the accounts stand-in, via the real spotipy client."""

import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore as DbSession
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as CookieSession,
)
from django.contrib.sessions.models import Session

from moodsite.testing import make_song
from music import spotify_account as account
from music.models import Song
from music.tests.spotify_accounts_standin import (
    Listener,
    running_accounts_standin,
    s256,
)

REDIRECT_URI = "http://127.0.0.1:8000/spotify/callback/"


@pytest.fixture
def standin(settings, db):
    settings.SPOTIFY_ACCOUNT_TIMEOUT = 5
    with running_accounts_standin(settings) as standin:
        yield standin


@pytest.fixture
def store(db):
    return account.AccountStore(DbSession())


def sign_in(store, standin):
    """What a browser does: open the authorize URL, follow Spotify back."""
    url = account.begin_connect(store, redirect_uri=REDIRECT_URI, next_url="/")
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    location = urlparse(answer.headers["Location"])
    params = {key: values[-1] for key, values in parse_qs(location.query).items()}
    return params


def connect(store, standin):
    account.finish_connect(store, sign_in(store, standin))


def test_the_authorize_url_asks_for_pkce_s256_and_only_the_scopes_used(store, standin):
    url = urlparse(
        account.begin_connect(store, redirect_uri=REDIRECT_URI, next_url="/")
    )
    query = {key: values[-1] for key, values in parse_qs(url.query).items()}
    pending = store.get("pending")
    assert url.geturl().startswith(standin.accounts_url + "authorize?")
    assert query["response_type"] == "code"
    assert query["client_id"] == "standin-client-id"
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == s256(pending["verifier"])
    assert set(query["scope"].split()) == {"user-top-read", "playlist-modify-private"}
    assert query["state"] == pending["state"] and len(pending["state"]) >= 32
    assert "verifier" not in url.geturl()


def test_connecting_exchanges_the_code_with_the_verifier_and_keeps_the_tokens(
    store, standin
):
    assert not account.is_connected(store)
    connect(store, standin)
    token = store.get("token")
    assert token["access_token"].startswith("user-access-")
    assert token["refresh_token"].startswith("user-refresh-")
    assert account.is_connected(store)
    assert store.get("pending") is None
    assert account.current_user(store)["display_name"] == "Lee Listener"


def test_a_callback_with_another_state_is_refused_and_nothing_is_exchanged(
    store, standin
):
    params = sign_in(store, standin)
    with pytest.raises(account.StaleCallback):
        account.finish_connect(store, {**params, "state": "forged"})
    assert not account.is_connected(store)
    assert not standin.requests_to("/api/token")
    # The forgery did not cancel the sign-in; the genuine answer works once.
    account.finish_connect(store, params)
    assert account.is_connected(store)
    with pytest.raises(account.StaleCallback):
        account.finish_connect(store, params)


def test_a_wrong_verifier_is_refused_by_spotify(store, standin):
    params = sign_in(store, standin)
    store.set("pending", {**store.get("pending"), "verifier": "x" * 50})
    with pytest.raises(account.AccountError) as error:
        account.finish_connect(store, params)
    assert "did not accept this sign-in" in error.value.message
    assert not account.is_connected(store)
    assert [r.status for r in standin.requests_to("/api/token")] == [400]


def test_refused_consent_says_so(store, standin):
    standin.consent = "deny"
    params = sign_in(store, standin)
    assert params["error"] == "access_denied"
    with pytest.raises(account.ConsentRefused) as refused:
        account.finish_connect(store, params)
    assert "chose not to connect" in refused.value.message
    assert not account.is_connected(store)


def test_an_expired_token_is_refreshed_and_kept(store, standin):
    connect(store, standin)
    old = store.get("token")
    standin.expire_access_tokens()
    store.set("token", {**old, "expires_at": 0})
    assert account.current_user(store)["id"] == "listener1"
    new = store.get("token")
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] == old["refresh_token"]
    assert [r.status for r in standin.requests_to("/api/token")] == [200, 200]


def test_a_token_spotify_rejects_early_gets_one_forced_refresh(store, standin):
    connect(store, standin)
    standin.expire_access_tokens()  # but the store thinks it is still good
    assert account.current_user(store)["id"] == "listener1"
    assert [r.status for r in standin.requests_to("/v1/me")] == [401, 200]


def test_a_revoked_connection_asks_to_reconnect_and_forgets_the_token(store, standin):
    connect(store, standin)
    standin.revoke_all()
    store.set("token", {**store.get("token"), "expires_at": 0})
    with pytest.raises(account.ReconnectNeeded) as error:
        account.current_user(store)
    assert "connect Spotify again" in error.value.message
    assert not account.is_connected(store)


def test_a_token_without_todays_scopes_asks_to_reconnect(store, standin):
    connect(store, standin)
    store.set("token", {**store.get("token"), "scope": "user-top-read"})
    with pytest.raises(account.ReconnectNeeded):
        account.current_user(store)
    assert not account.is_connected(store)


def test_a_listener_not_on_the_allow_list_is_told_about_development_mode(
    store, standin
):
    standin.listener.allowed = False
    connect(store, standin)
    with pytest.raises(account.NotOnAllowList) as error:
        account.current_user(store)
    assert "development mode" in error.value.message
    assert "5" in error.value.message


def test_429_reports_retry_after_without_waiting(store, standin):
    connect(store, standin)
    # An hour: a client that slept on Retry-After would hang this test.
    standin.add_fault("/v1/me", status=429, retry_after=3600)
    with pytest.raises(account.RateLimited) as error:
        account.current_user(store)
    assert error.value.retry_after == 3600
    assert "1 hours" in error.value.message or "60 minutes" in error.value.message
    assert len(standin.requests_to("/v1/me")) == 1


def test_a_slow_spotify_times_out_with_a_message(settings, store, standin):
    connect(store, standin)
    settings.SPOTIFY_ACCOUNT_TIMEOUT = 0.2
    standin.add_fault("/v1/me", hold=True)
    with pytest.raises(account.SpotifyUnavailable):
        account.current_user(store)
    assert account.is_connected(store)  # nothing wrong with the connection


def test_an_unreachable_spotify_is_a_message(settings, store, standin):
    connect(store, standin)
    settings.SPOTIFY_API_URL = "http://127.0.0.1:9/v1/"  # discard port: refused
    with pytest.raises(account.SpotifyUnavailable):
        account.current_user(store)


@pytest.mark.parametrize("fault", [{"status": 429, "retry_after": 5}, {"status": 503}])
def test_a_token_endpoint_that_refuses_to_refresh_is_a_message(store, standin, fault):
    connect(store, standin)
    store.set("token", {**store.get("token"), "expires_at": 0})
    standin.add_fault("/api/token", **fault)
    with pytest.raises(account.SpotifyUnavailable):
        account.current_user(store)
    assert account.is_connected(store)  # the refresh token is still good
    assert account.current_user(store)["id"] == "listener1"


def test_a_server_error_is_a_message(store, standin):
    connect(store, standin)
    standin.add_fault("/v1/me", status=502)
    with pytest.raises(account.SpotifyUnavailable):
        account.current_user(store)


def test_disconnect_forgets_everything(store, standin):
    connect(store, standin)
    account.taste_profile(store)
    account.disconnect(store)
    assert not account.is_connected(store)
    assert store.get("taste") is None
    with pytest.raises(account.NotConnected):
        account.current_user(store)


def test_with_signed_cookie_sessions_the_tokens_stay_on_the_server(db, standin):
    cookie_session = CookieSession()
    store = account.AccountStore(cookie_session)
    connect(store, standin)
    token = store.get("token")["access_token"]
    cookie_session.save()
    assert token not in str(dict(cookie_session.items()))
    assert token not in cookie_session.session_key  # the cookie's value
    # A new request: the cookie names the server-side record.
    again = account.AccountStore(CookieSession(session_key=cookie_session.session_key))
    assert again.get("token")["access_token"] == token
    record = cookie_session[account.AccountStore.REF_KEY]
    assert Session.objects.filter(session_key=record).exists()
    account.disconnect(again)
    assert not Session.objects.filter(session_key=record).exists()


def test_the_taste_profile_is_fetched_once_from_short_and_medium_term(store, standin):
    known = make_song(artists="Somebody")
    standin.set_top(
        artists=[("Röyksopp", ["electronica", "dance pop"]), ("Other", [])],
        track_ids=[known.spotify_id, standin.tracks[0]["id"]],
    )
    connect(store, standin)
    profile = account.taste_profile(store)
    assert profile["artist_names"][:2] == ["röyksopp", "other"]
    assert "top artist" in profile["artist_names"]  # the pool song's artist
    assert profile["genres"] == ["electronica", "dance pop"]
    assert profile["track_ids"] == [known.spotify_id, standin.tracks[0]["id"]]
    ranges = sorted(
        r.query["time_range"] for r in standin.requests_to("/v1/me/top/artists")
    )
    assert ranges == ["medium_term", "short_term"]
    # Their unknown top track joined the pool, held for staff approval.
    held = Song.objects.get(spotify_id=standin.tracks[0]["id"])
    assert held.awaiting_approval and held.excluded
    assert held.source == account.LIBRARY_SOURCE and held.name
    name = known.name
    known.refresh_from_db()
    assert not (known.awaiting_approval or known.excluded)
    assert known.name == name  # the pool's song is left as it was
    calls = len(standin.requests)
    assert account.taste_profile(store) == profile
    assert len(standin.requests) == calls


def test_library_songs_are_their_top_tracks_in_the_pool_and_mood(db):
    first, second = make_song(), make_song()
    make_song(predicted_mood="sad")
    hidden = make_song(excluded=True)
    other_mood = make_song(predicted_mood="sad")
    profile = {
        "track_ids": [
            second.spotify_id,
            hidden.spotify_id,
            other_mood.spotify_id,
            first.spotify_id,
        ]
    }
    assert account.library_songs(profile, "happy") == [second, first]
    assert account.library_songs(None, "happy") == []


def test_their_tracks_awaiting_approval_show_to_them_and_nobody_else(db):
    held = make_song(excluded=True, awaiting_approval=True)
    rejected = make_song(excluded=True)  # a curator said no
    profile = {"track_ids": [held.spotify_id, rejected.spotify_id]}
    assert account.library_songs(profile, "happy") == [held]
    assert held not in Song.objects.recommendable()


def playlist_requests(standin):
    return [(r.method, r.path) for r in standin.requests if "playlists" in r.path]


def test_save_creates_a_private_playlist_with_the_new_endpoints(store, standin):
    connect(store, standin)
    ids = [make_song().spotify_id for _ in range(3)]
    playlist = account.save_playlist(
        store, name="moodsite · happy", track_ids=ids, key="k"
    )
    saved = standin.user_playlists[playlist["id"]]
    assert saved["public"] is False and saved["owner"] == "listener1"
    assert saved["name"] == "moodsite · happy"
    assert saved["uris"] == [f"spotify:track:{i}" for i in ids]
    assert playlist["url"] == f"https://open.spotify.com/playlist/{playlist['id']}"
    assert playlist_requests(standin) == [
        ("POST", "/v1/me/playlists"),
        ("POST", f"/v1/playlists/{playlist['id']}/items"),
    ]


def test_saving_again_replaces_the_items_of_the_same_playlist(store, standin):
    connect(store, standin)
    ids = [make_song().spotify_id for _ in range(3)]
    first = account.save_playlist(store, name="p", track_ids=ids[:2], key="k")
    second = account.save_playlist(store, name="p", track_ids=ids, key="k")
    assert second["id"] == first["id"]
    assert len(standin.user_playlists) == 1
    assert standin.user_playlists[first["id"]]["uris"] == [
        f"spotify:track:{i}" for i in ids
    ]
    assert playlist_requests(standin)[-1] == (
        "PUT",
        f"/v1/playlists/{first['id']}/items",
    )
    other = account.save_playlist(store, name="q", track_ids=ids, key="other")
    assert other["id"] != first["id"]


def test_more_than_100_songs_go_in_chunks(store, standin):
    connect(store, standin)
    ids = [f"Trk{n:019d}" for n in range(230)]
    playlist = account.save_playlist(store, name="p", track_ids=ids, key="k")
    assert len(standin.user_playlists[playlist["id"]]["uris"]) == 230
    account.save_playlist(store, name="p", track_ids=ids[:150], key="k")
    uris = standin.user_playlists[playlist["id"]]["uris"]
    assert uris == [f"spotify:track:{i}" for i in ids[:150]]


def test_a_playlist_deleted_meanwhile_is_made_again(store, standin):
    connect(store, standin)
    ids = [make_song().spotify_id]
    first = account.save_playlist(store, name="p", track_ids=ids, key="k")
    del standin.user_playlists[first["id"]]
    second = account.save_playlist(store, name="p", track_ids=ids, key="k")
    assert second["id"] != first["id"]
    assert standin.user_playlists[second["id"]]["uris"] == [f"spotify:track:{ids[0]}"]


def test_a_rate_limited_save_says_when_to_try_again(store, standin):
    connect(store, standin)
    standin.add_fault("/v1/me/playlists", status=429, retry_after=30)
    with pytest.raises(account.RateLimited) as error:
        account.save_playlist(
            store, name="p", track_ids=["Trk0000000000000000001"], key="k"
        )
    assert error.value.retry_after == 30
    assert "30 seconds" in error.value.message
    assert standin.user_playlists == {}


def a_request(session, method="POST"):
    return SimpleNamespace(session=session, method=method)


def test_taste_for_a_request_waits_a_while_after_spotify_said_no(store, standin):
    connect(store, standin)
    standin.add_fault("/v1/me/top/artists", status=429, retry_after=300, times=None)
    assert account.taste_for_request(a_request(store.session)) is None
    calls = len(standin.requests)
    assert account.taste_for_request(a_request(store.session)) is None  # not yet
    assert len(standin.requests) == calls
    assert store.get("taste_retry_at") > time.time() + 250
    standin.clear_faults()
    store.set("taste_retry_at", 0)  # the wait is over
    assert account.taste_for_request(a_request(store.session))["track_ids"] == []
    assert account.taste_for_request(a_request(DbSession())) is None


def test_a_get_reads_the_stored_taste_and_never_calls_spotify(store, standin):
    connect(store, standin)
    standin.set_top(track_ids=[standin.tracks[0]["id"]])
    calls, songs = len(standin.requests), Song.objects.count()
    assert account.taste_for_request(a_request(store.session, "GET")) is None
    assert len(standin.requests) == calls and Song.objects.count() == songs
    profile = account.taste_for_request(a_request(store.session))  # a POST fetches
    assert profile["track_ids"] == [standin.tracks[0]["id"]]
    assert Song.objects.count() == songs + 1  # their new track, held for staff
    assert account.taste_for_request(a_request(store.session, "GET")) == profile


def test_one_request_works_out_the_taste_once(store, standin, monkeypatch):
    connect(store, standin)
    asked = []
    monkeypatch.setattr(
        account, "_taste_for_request", lambda request: asked.append(request) or {}
    )
    request = a_request(store.session, "GET")
    assert account.taste_for_request(request) == account.taste_for_request(request)
    assert len(asked) == 1


def test_connecting_again_forgets_what_was_learnt_about_the_last_account(
    store, standin
):
    connect(store, standin)
    account.taste_profile(store)
    account.save_playlist(store, name="p", track_ids=[make_song().spotify_id], key="k")
    standin.listener = Listener(id="listener2", display_name="Other")
    standin.set_top(artists=[("Someone New", [])])
    connect(store, standin)
    assert store.get("playlists") is None
    assert account.taste_profile(store)["artist_names"] == ["someone new"]
