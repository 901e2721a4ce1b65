"""The site in real headless Chromium: upload, result, in-place song refresh, errors.

These are the only tests that run the page's JavaScript (songs.js swaps the song
list in place). The views run on the tiny stand-in emotion model, so which
emotion the astronaut shows is arbitrary; every mood has songs, and the tests
check that the page is consistent with whatever the model said.
"""

import pytest
from django.urls import reverse

from faces.classifier import EMOTIONS
from faces.images import NOT_AN_IMAGE_MESSAGE
from moodsite.testing import make_song
from moodsite.tests.conftest import browser_required, missing_browser_reason
from music.mood import MOODS
from recommender.mapping import mood_for

# Skip before the stand-in model is built; with REQUIRE_BROWSER=1 the browser
# fixture (or the import below) fails instead.
if missing_browser_reason() and not browser_required():
    pytest.skip(missing_browser_reason(), allow_module_level=True)

from selenium.common.exceptions import (
    StaleElementReferenceException,
    WebDriverException,
)  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SONGS_PER_MOOD = 5
SONGS_PER_PAGE = 2
# Seconds to wait for a page or a fetch; generous for a busy CI machine.
WAIT = 20


@pytest.fixture(autouse=True)
def small_pages_on_the_stand_in_model(settings, stand_in_emotion_model):
    settings.SONGS_PER_PAGE = SONGS_PER_PAGE


@pytest.fixture
def pool(transactional_db):
    """SONGS_PER_MOOD songs in every mood, without covers (nothing to fetch)."""
    for n in range(SONGS_PER_MOOD * len(MOODS)):
        mood = MOODS[n % len(MOODS)]
        make_song(name=f"{mood} song {n}", artists="Somebody", cover_url="",
                  predicted_mood=mood, mood_score=n / 100)  # fmt: skip


@pytest.fixture
def site(browser, live_server, pool):
    """The browser, with no cookies left from an earlier test, and the site's URL."""
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get_log("browser")  # drop messages from earlier tests
    return browser, live_server.url


def upload(browser, url, path):
    """Open the home page, choose `path` in the file input and send the form."""
    browser.get(url + reverse("faces:home"))
    browser.find_element(By.CSS_SELECTOR, "#upload-form input[type=file]").send_keys(
        str(path)
    )
    browser.execute_script("window.beforeUpload = true")
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    # A new document has no marker. While Chromium swaps documents, a look at
    # the page can fail with a generic driver error: wait through those.
    WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,)).until(
        lambda driver: driver.execute_script(
            "return !window.beforeUpload && document.readyState === 'complete'"
        )
    )
    return WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.TAG_NAME, "h1"))
    )


def song_names(browser):
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#songs .song-name")]


def click_more_songs(browser):
    """Click "More songs" and wait until the song list was replaced."""
    old_list = browser.find_element(By.ID, "songs")
    button = WebDriverWait(browser, WAIT).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "#more-form button"))
    )
    button.click()
    WebDriverWait(browser, WAIT).until(EC.staleness_of(old_list))
    return browser.find_element(By.ID, "songs")


def shown_emotion_and_mood(browser):
    heading = browser.find_element(By.TAG_NAME, "h1")
    # "You look happy", or "Hard to tell — you look closest to happy".
    assert "ou look" in heading.text
    emotion = heading.find_element(By.TAG_NAME, "em").text
    return emotion, browser.find_element(By.CSS_SELECTOR, ".mood-line .mood").text


def test_a_photo_gets_its_face_emotion_mood_and_songs(site, photo_files, screenshot):
    browser, url = site
    upload(browser, url, photo_files["face"])
    screenshot("result")

    photo = browser.find_element(By.CSS_SELECTOR, ".photo-frame img.photo-preview")
    assert browser.execute_script("return arguments[0].naturalWidth", photo) > 0
    box = browser.find_element(By.CSS_SELECTOR, ".photo-frame .face-box.main")
    assert box.is_displayed()
    assert box.size["width"] > 20 and box.size["height"] > 20
    # The box lies on the photo (the page scales both together).
    assert photo.location["x"] <= box.location["x"]
    assert (
        box.location["x"] + box.size["width"]
        <= photo.location["x"] + photo.size["width"]
    )
    assert (
        box.location["y"] + box.size["height"]
        <= photo.location["y"] + photo.size["height"]
    )

    emotion, mood = shown_emotion_and_mood(browser)
    assert emotion in EMOTIONS
    assert box.text == emotion
    assert mood == mood_for(emotion)

    rows = browser.find_elements(By.CSS_SELECTOR, "table.probabilities tr")
    assert sorted(row.find_element(By.TAG_NAME, "th").text.lower() for row in rows) == (
        sorted(EMOTIONS)
    )
    percents = [int(row.find_element(By.CSS_SELECTOR, ".pct").text.rstrip("%"))
                for row in rows]  # fmt: skip
    assert all(0 <= p <= 100 for p in percents)
    assert abs(sum(percents) - 100) <= 4  # seven rounded shares of 100 %
    assert percents == sorted(percents, reverse=True)

    names = song_names(browser)
    assert len(names) == SONGS_PER_PAGE
    assert all(name.startswith(f"{mood} song ") for name in names)
    assert browser.find_elements(By.CSS_SELECTOR, "#songs .cover.placeholder")
    assert browser.find_element(By.CSS_SELECTOR, "#more-form button").is_displayed()

    # Nothing was loaded from anywhere but the site (no player before "Play").
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(address.startswith(url) for address in loaded)
    assert not browser.find_elements(By.TAG_NAME, "iframe")
    # The page's scripts ran without errors (and its icon was found).
    errors = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
    ]
    assert errors == []


def test_more_songs_replaces_the_list_in_place_until_the_pool_starts_over(
    site, photo_files, screenshot
):
    browser, url = site
    upload(browser, url, photo_files["face"])
    _, mood = shown_emotion_and_mood(browser)
    result_url = browser.current_url
    photo = browser.find_element(By.CSS_SELECTOR, "img.photo-preview")
    # A full page load would forget this; an in-place swap keeps it.
    browser.execute_script("window.stillTheSamePage = true")
    seen = song_names(browser)

    click_more_songs(browser)
    second = song_names(browser)
    assert len(second) == SONGS_PER_PAGE
    assert not set(second) & set(seen)
    assert browser.current_url == result_url
    assert browser.execute_script("return window.stillTheSamePage") is True
    try:
        assert photo.is_displayed()  # the very element, not a reloaded copy
    except StaleElementReferenceException:
        pytest.fail("the photo was reloaded: More songs navigated away")
    seen += second

    for _ in range(SONGS_PER_MOOD):
        songs = click_more_songs(browser)
        if songs.find_elements(By.CSS_SELECTOR, ".notice"):
            break
        seen += song_names(browser)
    else:
        pytest.fail("More songs never said the pool starts over")
    screenshot("starting-over")

    assert len(seen) == len(set(seen)) == SONGS_PER_MOOD  # each song once, then over
    assert all(name.startswith(f"{mood} song ") for name in seen)
    notice = browser.find_element(By.CSS_SELECTOR, "#songs .notice").text
    assert "starting over" in notice and str(SONGS_PER_MOOD) in notice
    assert set(song_names(browser)) <= set(seen)
    assert browser.current_url == result_url
    assert browser.execute_script("return window.stillTheSamePage") is True


def test_a_photo_without_a_face_says_so_and_offers_the_form(
    site, photo_files, screenshot
):
    browser, url = site
    heading = upload(browser, url, photo_files["no_face"])
    screenshot("no-face")
    assert heading.text == "No face found"
    assert browser.find_element(By.CSS_SELECTOR, "img.photo-preview").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "#upload-form input[type=file]")
    assert not browser.find_elements(By.CSS_SELECTOR, ".face-box")


def test_a_file_that_is_not_an_image_shows_the_message_and_the_form(
    site, photo_files, screenshot
):
    browser, url = site
    upload(browser, url, photo_files["not_an_image"])
    screenshot("not-an-image")
    message = browser.find_element(By.CSS_SELECTOR, "#upload-form .errors").text
    assert message == NOT_AN_IMAGE_MESSAGE
    assert browser.find_element(By.CSS_SELECTOR, "#upload-form input[type=file]")
    assert not browser.find_elements(By.CSS_SELECTOR, "#songs")
