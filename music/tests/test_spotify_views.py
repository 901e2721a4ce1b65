"""The connect / callback / disconnect / save-playlist views, against the stand-in."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as CookieSession,
)
from django.urls import reverse

from music import spotify_account as account
from music.tests.spotify_accounts_standin import running_accounts_standin

HOME = reverse("faces:home")


@pytest.fixture
def standin(settings, db):
    settings.SPOTIFY_ACCOUNT_TIMEOUT = 5
    settings.SONGS_PER_PAGE = 3
    with running_accounts_standin(settings) as standin:
        yield standin


def query_of(url):
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


def go_to_spotify_and_back(client, next_url="/songs/happy/more/"):
    """Connect: our redirect to Spotify, Spotify's redirect back, our callback."""
    answer = client.get(reverse("spotify:connect"), {"next": next_url})
    assert answer.status_code == 302
    spotify = requests.get(answer["Location"], allow_redirects=False, timeout=5)
    assert spotify.status_code == 302
    back = urlparse(spotify.headers["Location"])
    assert back.path == reverse("spotify:callback")
    return client.get(back.path, query_of(spotify.headers["Location"]))


def store_of(client):
    return account.AccountStore(client.session)


def test_connect_sends_the_visitor_to_spotify_with_our_callback(client, standin):
    answer = client.get(reverse("spotify:connect"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(standin.accounts_url + "authorize?")
    query = query_of(answer["Location"])
    assert query["redirect_uri"] == "http://testserver/spotify/callback/"


def test_the_redirect_uri_setting_wins(client, standin, settings):
    settings.SPOTIFY_REDIRECT_URI = "http://127.0.0.1:8000/spotify/callback/"
    answer = client.get(reverse("spotify:connect"))
    assert query_of(answer["Location"])["redirect_uri"] == settings.SPOTIFY_REDIRECT_URI


def test_connecting_comes_back_connected_with_a_notice(client, standin):
    standin.set_top(artists=[("Somebody", ["pop"])])
    answer = go_to_spotify_and_back(client)
    assert answer.status_code == 302 and answer["Location"] == "/songs/happy/more/"
    store = store_of(client)
    assert account.is_connected(store)
    assert store.get("display_name") == "Lee Listener"
    assert store.get("taste")["artist_names"] == ["somebody"]
    page = client.get(HOME).content.decode()
    assert "Spotify is connected" in page
    assert "Lee Listener" in page and "Disconnect Spotify" in page
    assert store.get("token")["access_token"] not in page
    # A notice shows once.
    assert "Spotify is connected" not in client.get(HOME).content.decode()


def test_a_next_url_elsewhere_is_not_followed(client, standin):
    answer = go_to_spotify_and_back(client, next_url="https://evil.example/")
    assert answer["Location"] == HOME


def test_refused_consent_comes_back_with_a_message(client, standin):
    standin.consent = "deny"
    answer = go_to_spotify_and_back(client)
    assert answer.status_code == 302
    assert not account.is_connected(store_of(client))
    page = client.get(HOME).content.decode()
    assert "You chose not to connect Spotify" in page
    assert "Connect Spotify" in page


def test_a_callback_that_did_not_start_here_is_a_400_with_a_message(client, standin):
    answer = client.get(reverse("spotify:callback"), {"code": "x", "state": "y"})
    assert answer.status_code == 400
    assert "did not start here" in answer.content.decode()


def test_a_listener_not_on_the_allow_list_is_told_and_not_connected(client, standin):
    standin.listener.allowed = False
    go_to_spotify_and_back(client)
    assert not account.is_connected(store_of(client))
    page = client.get(HOME).content.decode()
    assert "development mode" in page and "allow-list" in page


def test_a_rate_limited_welcome_stays_connected_and_says_so(client, standin):
    standin.add_fault("/v1/me/top", status=429, retry_after=20)
    go_to_spotify_and_back(client)
    assert account.is_connected(store_of(client))
    assert "try again in 20 seconds" in client.get(HOME).content.decode()


def test_connect_without_a_client_id_says_it_is_not_set_up(client, settings, db):
    settings.SPOTIPY_CLIENT_ID = ""
    answer = client.get(reverse("spotify:connect"))
    assert answer.status_code == 302 and answer["Location"] == HOME
    # Not configured: no Spotify controls, but the page it lands on says why.
    home = client.get(HOME).content.decode()
    assert "Connect Spotify" not in home
    assert "Connecting Spotify is not set up on this site" in home


def test_a_stale_callback_offers_the_connect_button_it_mentions(client, standin):
    page = client.get(reverse("spotify:callback"), {"code": "x", "state": "nope"})
    body = page.content.decode()
    assert page.status_code == 400 and "“Connect Spotify” again" in body
    assert 'id="spotify-connect"' in body


@pytest.mark.parametrize("configured", [True, False])
def test_anonymous_connects_write_no_database_row(
    client, standin, settings, configured
):
    """A visitor (or a bot) who never connects leaves nothing on the server."""
    from django.contrib.sessions.models import Session
    from django.test import Client

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    if not configured:
        settings.SPOTIPY_CLIENT_ID = ""
    for _ in range(20):
        assert Client().get(reverse("spotify:connect")).status_code == 302
    assert not Session.objects.exists()
    # The sign-in still completes from the cookie alone, and only then is a
    # record made.
    if configured:
        go_to_spotify_and_back(client)
        assert account.is_connected(store_of(client))
        assert Session.objects.count() == 1


def test_disconnect_forgets_the_tokens(client, standin):
    go_to_spotify_and_back(client)
    answer = client.post(reverse("spotify:disconnect"), {"next": "/songs/sad/more/"})
    assert answer.status_code == 302 and answer["Location"] == "/songs/sad/more/"
    assert not account.is_connected(store_of(client))
    assert "Spotify is disconnected" in client.get(HOME).content.decode()


def test_disconnect_needs_a_post(client, standin):
    go_to_spotify_and_back(client)
    assert client.get(reverse("spotify:disconnect")).status_code == 405
    assert account.is_connected(store_of(client))


# Save as a playlist -------------------------------------------------------------


def shown_songs(client, mood="happy", pages=1):
    """Songs the visit was shown, in order, by browsing the mood's pages."""
    shown = []
    for _ in range(pages):
        page = client.get(reverse("recommender:more", args=[mood]))
        shown += [song.spotify_id for song in page.context["page"].songs]
    return shown


def save(client, mood="happy", fragment=True):
    url = reverse("spotify:save-playlist", args=[mood])
    return client.post(url + ("?fragment=1" if fragment else ""))


@pytest.fixture
def pool(make_songs):
    return make_songs("happy", 8)


def test_a_connected_listeners_artists_lead_every_page_that_picks_songs(
    client, standin, make_songs
):
    make_songs("happy", 12, mood_score=0.9)  # ranked above the listener's songs
    theirs = make_songs("happy", 2, artists="Röyksopp", mood_score=0.1)
    standin.set_top(artists=[("Röyksopp", [])])
    go_to_spotify_and_back(client)
    first = shown_songs(client)
    assert set(first[:2]) == {s.spotify_id for s in theirs}
    assert not set(first[2:]) & {s.spotify_id for s in theirs}
    second = shown_songs(client)  # each once a round of the pool
    assert not set(second) & {s.spotify_id for s in theirs}
    assert save(client).status_code == 200
    (playlist,) = standin.user_playlists.values()
    assert playlist["uris"] == [f"spotify:track:{i}" for i in first + second]


def test_save_makes_a_private_playlist_of_the_songs_shown(client, standin, pool):
    go_to_spotify_and_back(client)
    shown = shown_songs(client, pages=2)
    answer = save(client)
    assert answer.status_code == 200
    (playlist,) = standin.user_playlists.values()
    assert playlist["uris"] == [f"spotify:track:{i}" for i in shown]
    assert playlist["public"] is False
    assert playlist["name"].startswith("moodsite · happy · 20")
    html = answer.content.decode()
    assert f"https://open.spotify.com/playlist/{playlist['id']}" in html
    assert "Saved 6 songs" in html


def test_saving_again_in_the_visit_updates_the_same_playlist(client, standin, pool):
    go_to_spotify_and_back(client)
    shown = shown_songs(client)
    save(client)
    shown += shown_songs(client)
    answer = save(client, fragment=False)
    assert answer.status_code == 200
    assert "Saved to your Spotify" in answer.content.decode()
    (playlist,) = standin.user_playlists.values()
    assert playlist["uris"] == [f"spotify:track:{i}" for i in shown]


def test_save_without_a_connection_asks_to_connect(client, standin, pool):
    shown_songs(client)
    answer = save(client)
    assert answer.status_code == 409
    html = answer.content.decode()
    assert "Connect your Spotify account first" in html
    assert reverse("spotify:connect") in html


def test_save_with_nothing_shown_is_a_400(client, standin, pool):
    go_to_spotify_and_back(client)
    answer = save(client, mood="sad")
    assert answer.status_code == 400
    assert "No sad songs were shown yet to save" in answer.content.decode()
    assert standin.user_playlists == {}


def test_save_for_an_unknown_mood_is_a_404(client, standin):
    assert save(client, mood="grumpy").status_code == 404


def test_a_rate_limited_save_answers_429_with_retry_after(client, standin, pool):
    go_to_spotify_and_back(client)
    shown_songs(client)
    standin.add_fault("/v1/me/playlists", status=429, retry_after=120)
    answer = save(client)
    assert answer.status_code == 429
    assert answer["Retry-After"] == "120"
    assert "try again in 2 minutes" in answer.content.decode()
    assert account.is_connected(store_of(client))


def test_a_save_that_times_out_says_so(client, standin, pool, settings):
    go_to_spotify_and_back(client)
    shown_songs(client)
    settings.SPOTIFY_ACCOUNT_TIMEOUT = 0.2
    standin.add_fault("/v1/me/playlists", hold=True)
    answer = save(client)
    assert answer.status_code == 503
    assert "did not answer in time" in answer.content.decode()


def test_a_save_after_the_access_was_revoked_asks_to_reconnect(client, standin, pool):
    go_to_spotify_and_back(client)
    shown_songs(client)
    standin.revoke_all()
    answer = save(client)
    assert answer.status_code == 409
    html = answer.content.decode()
    assert "connect Spotify again" in html
    assert reverse("spotify:connect") in html
    assert not account.is_connected(store_of(client))


def test_a_save_refused_for_the_allow_list_says_why(client, standin, pool):
    go_to_spotify_and_back(client)
    shown_songs(client)
    standin.listener.allowed = False
    answer = save(client)
    assert answer.status_code == 403
    assert "development mode" in answer.content.decode()


def test_with_signed_cookie_sessions_the_tokens_never_reach_the_cookie(
    client, standin, settings, pool
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    standin.set_top(artists=[("Somebody", [])])
    go_to_spotify_and_back(client)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    in_cookie = CookieSession(session_key=cookie).load()
    # The record's key and the welcome notice; the sign-in's state is used up.
    assert set(in_cookie) == {
        account.AccountStore.REF_KEY,
        f"{account.AccountStore.KEY}_notices",
    }
    store = store_of(client)
    assert not store.on_server
    token = store.get("token")
    assert token["access_token"] not in cookie
    assert store.get("taste")["artist_names"] == ["somebody"]
    # The whole visit works; the taste is fetched once, not on every page.
    shown = shown_songs(client, pages=2)
    client.get(HOME)
    assert save(client).status_code == 200
    (playlist,) = standin.user_playlists.values()
    assert playlist["uris"] == [f"spotify:track:{i}" for i in shown]
    assert len(standin.requests_to("/v1/me/top/artists")) == 2  # short + medium
    client.post(reverse("spotify:disconnect"))
    assert not account.is_connected(store_of(client))
