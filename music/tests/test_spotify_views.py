"""The connect / callback / disconnect views, against the stand-in."""

import pytest
from django.urls import reverse

from music import spotify_account as account
from music.tests.spotify_accounts_standin import (
    go_to_spotify_and_back,
    query_of,
    running_for_pages,
    store_of,
)

HOME = reverse("recommender:home")


@pytest.fixture
def standin(settings, db):
    with running_for_pages(settings) as standin:
        yield standin


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
