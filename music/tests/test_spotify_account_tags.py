"""music.templatetags.spotify_account: what the Spotify controls are rendered from."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import RequestFactory

from music import spotify_account as account
from music.templatetags.spotify_account import SpotifyState


@pytest.fixture
def request_for(db):
    def make(method="get", path="/"):
        request = getattr(RequestFactory(), method)(path)
        request.session = SessionStore()
        return request

    return make


def test_connecting_from_a_page_comes_back_to_it(request_for):
    assert SpotifyState(request_for("get", "/songs/sad/more/?x=1")).next == (
        "/songs/sad/more/?x=1"
    )


def test_connecting_from_a_result_page_comes_back_to_its_mood(request_for):
    # The result page answers a POST, which a redirect cannot repeat.
    assert SpotifyState(request_for("post"), "calm").next == "/songs/calm/more/"
    assert SpotifyState(request_for("post"), "grumpy").next == "/"


def test_notices_show_once(request_for):
    request = request_for()
    account.AccountStore.for_request(request).add_notice("Hello", level="error")
    state = SpotifyState(request)
    assert [n["text"] for n in state.notices] == ["Hello"]
    assert [n["text"] for n in state.notices] == ["Hello"]  # same page, same list
    assert SpotifyState(request).notices == []


def test_the_controls_show_only_when_configured(request_for, settings):
    template = Template('{% include "music/_spotify_connect.html" %}')
    request = request_for()
    settings.SPOTIPY_CLIENT_ID = ""
    assert "Connect Spotify" not in template.render(Context({"request": request}))
    settings.SPOTIPY_CLIENT_ID = "someone"
    html = template.render(Context({"request": request}))
    assert "Connect Spotify" in html and "Save as playlist" not in html


def test_each_state_says_what_it_is(request_for, settings):
    template = Template('{% include "music/_spotify_connect.html" %}')
    request = request_for()
    settings.SPOTIPY_CLIENT_ID = ""
    # Where songs are: not set up, and the songs still open in Spotify.
    html = template.render(Context({"request": request, "mood": "calm"}))
    assert 'data-state="not_set_up"' in html and "isn't set up" in html
    assert "Connect Spotify" not in html
    # On a page without songs (home) it is not worth a card.
    assert "spotify-account" not in template.render(Context({"request": request}))

    settings.SPOTIPY_CLIENT_ID = "someone"
    settings.SPOTIFY_DEVELOPMENT_MODE = True
    html = template.render(Context({"request": request, "mood": "calm"}))
    assert 'data-state="connect"' in html and "development mode" in html
    settings.SPOTIFY_DEVELOPMENT_MODE = False
    html = template.render(Context({"request": request, "mood": "calm"}))
    assert "development mode" not in html

    account.AccountStore.for_request(request).set("token", {"access_token": "x"})
    html = template.render(Context({"request": request, "mood": "calm"}))
    assert 'data-state="connected"' in html and "Disconnect Spotify" in html


def test_a_notice_shows_even_where_spotify_is_not_set_up(request_for, settings):
    settings.SPOTIPY_CLIENT_ID = ""
    request = request_for()
    account.AccountStore.for_request(request).add_notice(
        account.NotConfigured.message, level="error"
    )
    html = Template('{% include "music/_spotify_connect.html" %}').render(
        Context({"request": request})
    )
    assert "Connecting Spotify is not set up on this site" in html
