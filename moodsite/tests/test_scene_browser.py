"""A photo without a face in real headless Chromium: the scene's mood, its songs,
More songs in place, another mood in one tap; and picking a mood with no photo.

The views run on the stand-in scene model (colour decides the mood), so a
mostly blue landscape reads as calm.
"""

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from moodsite.tests.conftest import browser_required, missing_browser_reason
from moodsite.tests.pages import WAIT, fill_pool, save_small_png, upload
from recommender.models import Reading, SceneCorrection

if missing_browser_reason() and not browser_required():
    pytest.skip(missing_browser_reason(), allow_module_level=True)

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SONGS_PER_MOOD = 6
SONGS_PER_PAGE = 2


@pytest.fixture(autouse=True)
def small_pages_on_the_stand_in_models(settings, stand_in_scene_model):
    settings.SONGS_PER_PAGE = SONGS_PER_PAGE


@pytest.fixture
def site(browser, live_server, transactional_db):
    fill_pool(SONGS_PER_MOOD)
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return browser, live_server.url


@pytest.fixture
def landscape(tmp_path):
    """Sky, sea and a strip of beach: no face anywhere."""
    height, width = 300, 480
    photo = np.zeros((height, width, 3), np.uint8)
    sky = np.linspace(150, 230, 140)[:, None]
    photo[:140, :, 0], photo[:140, :, 1], photo[:140, :, 2] = sky * 0.5, sky * 0.8, 250
    photo[140:250] = (20, 70, 170)
    photo[250:] = (225, 205, 160)
    path = tmp_path / "beach.png"
    Image.fromarray(photo).save(path)
    return path


def wait_until(browser, condition):
    """Waits through the moments a page or list is swapped (stale elements)."""
    WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,)).until(
        condition
    )


def song_names(browser):
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#songs .song-name")]


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_landscape_gets_the_scenes_mood_songs_and_one_tap_moods(
    site, landscape, screenshot, request, screen
):
    if screen == "phone":
        request.getfixturevalue("phone")
    browser, url = site
    heading = upload(browser, url, landscape)
    assert heading.text == "No face here — the scene feels calm"
    rows = browser.find_elements(By.CSS_SELECTOR, "table.probabilities tr")
    assert rows[0].find_element(By.TAG_NAME, "th").text.lower() == "calm"
    assert len(rows) == 4
    first = song_names(browser)
    assert len(first) == SONGS_PER_PAGE
    assert all(name.startswith("calm song") for name in first)
    bars = browser.find_element(By.ID, "details").rect
    headline = browser.find_element(By.ID, "analysis").rect
    if screen == "desktop":
        # No photo to show: the mood bars stand at the top left, level with
        # the headline, not under an empty space where a photo would be.
        assert bars["x"] < headline["x"]
        assert abs(bars["y"] - headline["y"]) < 2
    else:
        # One column: the headline and the songs first, the bars under them.
        songs = browser.find_element(By.ID, "songs").rect
        assert headline["y"] < songs["y"] < bars["y"]
    # The README's screenshots (BROWSER_SCREENSHOTS=docs/screenshots), kept small.
    save_small_png(screenshot(f"scene-{screen}"))

    result_url = browser.current_url
    browser.execute_script("window.stillTheSamePage = true")
    browser.find_element(By.CSS_SELECTOR, "#more-form button").click()
    wait_until(browser, lambda b: song_names(b) and song_names(b) != first)
    assert all(name.startswith("calm song") for name in song_names(browser))
    assert browser.execute_script("return window.stillTheSamePage") is True

    browser.find_element(
        By.CSS_SELECTOR, "#mood-choice button[value=energetic]"
    ).click()
    wait_until(
        browser,
        lambda b: "energetic" in b.find_element(By.CSS_SELECTOR, ".mood-line").text,
    )
    assert browser.current_url == result_url
    assert all(name.startswith("energetic song") for name in song_names(browser))
    assert Reading.objects.get().corrections == {"scene": "energetic"}
    assert SceneCorrection.objects.get().count == 1


def test_a_mood_can_be_picked_without_a_photo(site):
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    browser.find_element(By.LINK_TEXT, "Happy").click()
    wait_until(
        browser, lambda b: b.find_element(By.TAG_NAME, "h1").text == "You picked happy"
    )
    assert all(name.startswith("happy song") for name in song_names(browser))
    # Nothing to show beside the songs: they take the page's width.
    page = browser.find_element(By.TAG_NAME, "main").rect
    songs = browser.find_element(By.ID, "songs").rect
    assert songs["width"] > 0.8 * page["width"]
    browser.find_element(By.LINK_TEXT, "Sad").click()
    wait_until(
        browser, lambda b: b.find_element(By.TAG_NAME, "h1").text == "You picked sad"
    )
    assert not Reading.objects.exists()
