"""The pages work in Chromium under the Content-Security-Policy: nothing refused.

Chromium reports each refusal in the console ("... violates the following
Content Security Policy directive ..."); these tests read the console after
using the upload page, the result page and the Spotify player.
"""

import pytest

from moodsite.tests.conftest import browser_required, missing_browser_reason
from moodsite.tests.pages import WAIT, fill_pool, upload

if missing_browser_reason() and not browser_required():
    pytest.skip(missing_browser_reason(), allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def site(browser, live_server, transactional_db, stand_in_emotion_model):
    fill_pool(3)
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get_log("browser")  # drop messages from earlier tests
    return browser, live_server.url


def refusals(browser):
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def test_upload_result_and_player_run_under_the_policy(site, photo_files):
    browser, url = site
    browser.get(url + "/")
    assert refusals(browser) == []

    upload(browser, url, photo_files["face"])
    play = WebDriverWait(browser, WAIT).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "#songs button.play"))
    )
    play.click()
    frame = WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#songs iframe"))
    )

    assert frame.get_attribute("src").startswith("https://open.spotify.com/embed/")
    assert refusals(browser) == []


def test_an_inline_script_would_be_refused_and_reported(site):
    """The check above can fail: the policy is enforced and its refusals read."""
    browser, url = site
    browser.get(url + "/")
    browser.execute_script(
        "var s = document.createElement('script');"
        "s.textContent = 'document.title = \"ran\"';"
        "document.body.appendChild(s);"
    )

    assert browser.title != "ran"
    assert any("script-src" in message for message in refusals(browser))
