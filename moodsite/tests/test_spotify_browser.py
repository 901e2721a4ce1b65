"""The listener's Spotify in real headless Chromium, against the stand-in Spotify.

Connect (the stand-in's /authorize approves at once and redirects back with
code and state) -> a photo's result page -> "Save as playlist" -> the link to
the playlist -> save again after "More songs" -> disconnect.
"""

import pytest
from django.urls import reverse

from moodsite.testing import make_song
from moodsite.tests.conftest import browser_required, missing_browser_reason
from moodsite.tests.pages import WAIT, upload
from music.mood import MOODS
from music.tests.spotify_accounts_standin import running_accounts_standin

if missing_browser_reason() and not browser_required():
    pytest.skip(missing_browser_reason(), allow_module_level=True)

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SONGS_PER_MOOD = 6
SONGS_PER_PAGE = 2


@pytest.fixture
def standin(settings, stand_in_emotion_model):
    settings.SONGS_PER_PAGE = SONGS_PER_PAGE
    with running_accounts_standin(settings) as standin:
        yield standin


@pytest.fixture
def pool(transactional_db, standin):
    """Songs in every mood; the listener's top track is one song of each mood."""
    songs = {mood: [] for mood in MOODS}
    for n in range(SONGS_PER_MOOD * len(MOODS)):
        mood = MOODS[n % len(MOODS)]
        songs[mood].append(
            make_song(
                name=f"{mood} song {n}",
                artists="Somebody",
                cover_url="",
                predicted_mood=mood,
                mood_score=n / 100,
            )  # fmt: skip
        )
    standin.set_top(
        artists=[("Somebody", ["pop"])],
        track_ids=[songs[mood][0].spotify_id for mood in MOODS],
    )
    return songs


@pytest.fixture
def site(browser, live_server, pool):
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get_log("browser")
    return browser, live_server.url


def wait_for(browser, css):
    return WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,)).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def shown_mood(browser):
    return browser.find_element(By.CSS_SELECTOR, ".mood-line .mood").text


def song_names(browser):
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#songs .song-name")]


def save_as_playlist(browser):
    """Click "Save as playlist" and wait for the answer in place."""
    browser.execute_script(
        "var s = document.getElementById('spotify-save-status');"
        "s.replaceChildren(); window.beforeSave = true;"
    )
    browser.find_element(By.CSS_SELECTOR, "#spotify-save-form button").click()
    link = wait_for(browser, "#spotify-save-status #spotify-playlist-link")
    # Answered in place: the page (and its marker) is still the same.
    assert browser.execute_script("return window.beforeSave") is True
    return link


def test_connect_see_your_library_save_and_disconnect(
    site, standin, pool, photo_files, screenshot
):
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    browser.find_element(By.ID, "spotify-connect").click()
    notice = wait_for(browser, ".spotify-notice")
    assert "Spotify is connected" in notice.text
    assert "Lee Listener" in browser.find_element(By.ID, "spotify-account").text
    assert browser.current_url.rstrip("/") == url.rstrip("/")

    upload(browser, url, photo_files["face"])
    mood = shown_mood(browser)
    screenshot("spotify-result")
    library = browser.find_element(By.ID, "from-your-library")
    assert "From your library" in library.text
    assert pool[mood][0].name in library.text
    shown = song_names(browser)
    assert len(shown) == SONGS_PER_PAGE

    link = save_as_playlist(browser)
    screenshot("spotify-saved")
    (playlist_id,) = standin.user_playlists
    playlist = standin.user_playlists[playlist_id]
    assert link.get_attribute("href") == (
        f"https://open.spotify.com/playlist/{playlist_id}"
    )
    assert link.text == playlist["name"]
    assert playlist["public"] is False and mood in playlist["name"]
    by_name = {song.name: song.spotify_id for song in pool[mood]}
    assert playlist["uris"] == [f"spotify:track:{by_name[n]}" for n in shown]

    # More songs, then save again: the same playlist, now with all four.
    old_list = browser.find_element(By.ID, "songs")
    browser.find_element(By.CSS_SELECTOR, "#more-form button").click()
    WebDriverWait(browser, WAIT).until(EC.staleness_of(old_list))
    shown += song_names(browser)
    link = save_as_playlist(browser)
    assert list(standin.user_playlists) == [playlist_id]
    assert playlist["uris"] == [f"spotify:track:{by_name[n]}" for n in shown]
    assert "Saved 4 songs" in browser.find_element(By.ID, "spotify-save-status").text

    browser.get(url + reverse("recommender:home"))
    browser.find_element(By.CSS_SELECTOR, "#spotify-disconnect button").click()
    notice = wait_for(browser, ".spotify-notice")
    assert "disconnected" in notice.text
    assert browser.find_element(By.ID, "spotify-connect").is_displayed()
    assert not browser.find_elements(By.ID, "spotify-save-form")
    errors = [
        e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"
    ]
    assert errors == []


def test_refused_consent_shows_the_message_and_the_site_as_before(
    site, standin, photo_files
):
    browser, url = site
    standin.consent = "deny"
    browser.get(url + reverse("recommender:home"))
    browser.find_element(By.ID, "spotify-connect").click()
    notice = wait_for(browser, ".spotify-notice")
    assert "You chose not to connect Spotify" in notice.text
    upload(browser, url, photo_files["face"])
    assert len(song_names(browser)) == SONGS_PER_PAGE
    assert not browser.find_elements(By.ID, "spotify-save-form")
    assert not browser.find_elements(By.ID, "from-your-library")


def test_a_refused_save_shows_the_message_in_place(site, standin, photo_files):
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    browser.find_element(By.ID, "spotify-connect").click()
    wait_for(browser, "#spotify-disconnect")
    upload(browser, url, photo_files["face"])
    standin.add_fault("/v1/me/playlists", status=429, retry_after=90)
    browser.execute_script("window.beforeSave = true")
    browser.find_element(By.CSS_SELECTOR, "#spotify-save-form button").click()
    message = wait_for(browser, "#spotify-save-status .errors")
    assert "try again in 2 minutes" in message.text
    assert browser.execute_script("return window.beforeSave") is True
    assert standin.user_playlists == {}
