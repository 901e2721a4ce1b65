"""recommender.playlist: the songs a visit showed, saved as a Spotify playlist
(against the Spotify stand-in)."""

import pytest
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as CookieSession,
)
from django.urls import reverse

from music import spotify_account as account
from music.tests.spotify_accounts_standin import (
    go_to_spotify_and_back,
    running_for_pages,
    store_of,
)


@pytest.fixture
def standin(settings, db):
    with running_for_pages(settings) as standin:
        yield standin


def shown_songs(client, mood="happy", pages=1):
    """Songs the visit was shown, in order, by browsing the mood's pages."""
    shown = []
    for _ in range(pages):
        page = client.get(reverse("recommender:more", args=[mood]))
        shown += [song.spotify_id for song in page.context["page"].songs]
    return shown


def save(client, mood="happy", fragment=True):
    url = reverse("recommender:save-playlist", args=[mood])
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
    client.get(reverse("recommender:home"))
    assert save(client).status_code == 200
    (playlist,) = standin.user_playlists.values()
    assert playlist["uris"] == [f"spotify:track:{i}" for i in shown]
    assert len(standin.requests_to("/v1/me/top/artists")) == 2  # short + medium
    client.post(reverse("spotify:disconnect"))
    assert not account.is_connected(store_of(client))
