"""The site in real headless Chromium: upload, result, in-place song refresh, errors.

These are the only tests that run the page's JavaScript (songs.js swaps the song
list in place). The views run on the tiny stand-in emotion model, so which
emotion the astronaut shows is arbitrary; every mood has songs, and the tests
check that the page is consistent with whatever the model said.
"""

import base64
import re
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse

from faces.analysis import FaceResult, analyze_rgb
from faces.images import NOT_AN_IMAGE_MESSAGE
from moodsite.testing import encode_image
from moodsite.tests.conftest import (
    browser_required,
    missing_browser_reason,
    screen_size,
)
from moodsite.tests.pages import WAIT, fill_pool, save_small_png, upload
from recommender import services
from recommender.mapping import mood_for
from recommender.models import EmotionCorrection, Reading
from recommender.tests.conftest import face, signed_session_with_reading
from recommender.wording import EMOTION_ADJECTIVES

# Skip before the stand-in model is built; with REQUIRE_BROWSER=1 the browser
# fixture (or the import below) fails instead.
if missing_browser_reason() and not browser_required():
    pytest.skip(missing_browser_reason(), allow_module_level=True)

from selenium.common.exceptions import (
    StaleElementReferenceException,
    WebDriverException,
)  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SONGS_PER_MOOD = 5
SONGS_PER_PAGE = 2
# Seconds to wait for a page or a fetch; generous for a busy CI machine.
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
EMOTION_OF = {adjective: emotion for emotion, adjective in EMOTION_ADJECTIVES.items()}
RESULT_PATH = re.compile(r"/r/[A-Za-z0-9_-]{22}/$")


@pytest.fixture(autouse=True)
def small_pages_on_the_stand_in_model(settings, stand_in_emotion_model):
    settings.SONGS_PER_PAGE = SONGS_PER_PAGE


@pytest.fixture
def pool(transactional_db):
    fill_pool(SONGS_PER_MOOD)


@pytest.fixture
def site(browser, live_server, pool):
    """The browser, with no cookies left from an earlier test, and the site's URL."""
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get_log("browser")  # drop messages from earlier tests
    return browser, live_server.url


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
    # "You look afraid", or "Hard to tell — you look closest to afraid".
    assert "ou look" in heading.text
    emotion = EMOTION_OF[heading.find_element(By.TAG_NAME, "em").text]
    return emotion, browser.find_element(By.CSS_SELECTOR, ".mood-line .mood").text


def wait_for_text(browser, selector, text):
    """Wait until the element at `selector` contains `text`; return the element."""
    WebDriverWait(browser, WAIT).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text)
    )
    return browser.find_element(By.CSS_SELECTOR, selector)


def announced(browser, text):
    """Wait until the live region says `text`; return all it says."""
    return wait_for_text(browser, "#announcer", text).text


def open_reading(browser, url, reading, face_key=None):
    path = reverse("recommender:reading", args=[reading.pk])
    browser.get(url + path + (f"?face={face_key}" if face_key else ""))
    return WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.ID, "headline"))
    )


def serious_accessibility_problems(browser):
    """axe-core's serious and critical violations on the page, one line each."""
    browser.execute_script(AXE.read_text())
    browser.set_script_timeout(WAIT)
    violations = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        "  .then(function (r) { done(r.violations); })"
        "  .catch(function (e) { done([{id: 'axe-failed', impact: 'critical',"
        "                               help: String(e), nodes: []}]); });"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_a_photo_gets_its_face_emotion_mood_and_songs(site, photo_files, screenshot):
    browser, url = site
    upload(browser, url, photo_files["face"])
    screenshot("result")

    # The photo is the preview upload.js kept in this tab, not a server copy.
    photo = browser.find_element(By.CSS_SELECTOR, ".photo-frame img.photo-preview")
    assert photo.is_displayed()
    assert browser.execute_script("return arguments[0].naturalWidth", photo) > 0
    assert photo.get_attribute("src").startswith("data:image/jpeg")
    assert not browser.find_element(By.ID, "photo-note").is_displayed()
    box = browser.find_element(By.CSS_SELECTOR, ".photo-frame .face-box[aria-current]")
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
    assert box.text == EMOTION_ADJECTIVES[emotion]
    assert mood == mood_for(emotion)
    assert browser.title == f"{browser.find_element(By.TAG_NAME, 'h1').text} · moodsite"

    rows = browser.find_elements(By.CSS_SELECTOR, "table.probabilities tr")
    assert sorted(row.find_element(By.TAG_NAME, "th").text.lower() for row in rows) == (
        sorted(EMOTION_ADJECTIVES.values())
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
    # Keyboard and screen-reader users land on, and hear of, the new songs.
    assert f"{SONGS_PER_PAGE} new {mood} songs" in announced(browser, "new")
    focused = browser.switch_to.active_element
    assert focused == browser.find_element(By.CSS_SELECTOR, "#songs .song")
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


def test_the_result_url_reloads_without_resending_and_opens_elsewhere_without_photo(
    site, photo_files, screenshot
):
    browser, url = site
    upload(browser, url, photo_files["face"])
    result_url = browser.current_url
    assert RESULT_PATH.search(result_url)
    headline = browser.find_element(By.TAG_NAME, "h1").text
    songs = song_names(browser)

    browser.refresh()  # a GET: no "resend the form?" and no second analysis
    assert browser.current_url == result_url
    assert browser.find_element(By.TAG_NAME, "h1").text == headline
    assert song_names(browser) == songs  # a result keeps its songs
    assert browser.find_element(By.CSS_SELECTOR, "img.photo-preview").is_displayed()
    assert Reading.objects.count() == 1

    original = browser.current_window_handle
    browser.switch_to.new_window("tab")  # a tab of its own: no kept preview
    # ... and a visit of its own, as in another browser.
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    try:
        browser.get(result_url)
        # The same reading and songs, told about "them", not "you".
        shared = browser.find_element(By.TAG_NAME, "h1").text
        assert shared.split()[-1] == headline.split()[-1]
        assert shared.startswith(("They look", "Hard to tell — they look"))
        assert song_names(browser) == songs
        assert not browser.find_element(
            By.CSS_SELECTOR, "img.photo-preview"
        ).is_displayed()
        assert browser.find_element(By.ID, "photo-note").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, ".face-box").is_displayed()
        assert len(song_names(browser)) == SONGS_PER_PAGE
        screenshot("result-elsewhere")
    finally:
        browser.close()
        browser.switch_to.window(original)


def two_face_reading():
    """A happy large face and an afraid small one: the group looks happy."""
    return services.save_reading(
        faces=[
            face("happy", 0.8, box=(40, 40, 160, 160)),
            face("fear", 0.9, box=(260, 80, 90, 90)),
        ],
        image_size=(400, 300),
    )


def test_a_snapshot_sent_like_webcam_js_sends_it_keeps_its_preview_too(site, astronaut):
    """webcam.js puts the frame in the file input and calls form.requestSubmit()."""
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    browser.execute_script("window.beforeUpload = true")
    browser.execute_script(
        "var bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));"
        "var files = new DataTransfer();"
        "files.items.add(new File([bytes], 'webcam.jpg', {type: 'image/jpeg'}));"
        "var form = document.getElementById('upload-form');"
        "form.querySelector('input[type=file]').files = files.files;"
        "form.requestSubmit();",
        base64.b64encode(encode_image(astronaut, "JPEG")).decode("ascii"),
    )
    WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,)).until(
        lambda driver: driver.execute_script(
            "return !window.beforeUpload && document.readyState === 'complete'"
        )
    )
    assert RESULT_PATH.search(browser.current_url)
    assert browser.find_element(By.CSS_SELECTOR, "img.photo-preview").is_displayed()


def test_a_kept_preview_of_another_shape_is_not_shown_for_a_shared_result(site):
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    reading = two_face_reading()  # 400 x 300
    browser.execute_script(
        "sessionStorage.setItem('moodsite:pending-photo', JSON.stringify("
        "{url: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=', width: 300,"
        " height: 300, at: Date.now()}))"
    )
    open_reading(browser, url, reading)
    assert not browser.find_element(By.CSS_SELECTOR, "img.photo-preview").is_displayed()
    assert (
        browser.execute_script(
            "return sessionStorage.getItem('moodsite:pending-photo')"
        )
        is None
    )


def test_every_face_and_the_group_can_be_chosen_by_mouse_and_keyboard(site):
    browser, url = site
    reading = two_face_reading()
    headline = open_reading(browser, url, reading)
    # Made here, not uploaded by this browser: about "them", not "you".
    assert headline.text == "Together they look happy"
    browser.execute_script("window.stillTheSamePage = true")

    # Mouse: the box of the second face.
    browser.find_element(By.CSS_SELECTOR, "a.face-box[data-choice='2']").click()
    wait_for_text(browser, "#headline", "Face 2 looks afraid")
    assert "afraid" in announced(browser, "afraid")
    assert all(name.startswith("calm song ") for name in song_names(browser))
    assert browser.current_url.endswith("?face=2")
    assert browser.title == "Face 2 looks afraid · moodsite"
    current = browser.find_elements(By.CSS_SELECTOR, "[data-choice][aria-current]")
    assert {e.get_attribute("data-choice") for e in current} == {"2"}

    # Keyboard: Tab to the first face's entry in the list, Enter.
    first = browser.find_element(By.CSS_SELECTOR, ".choices a[data-choice='1']")
    browser.execute_script("arguments[0].focus()", first)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for_text(browser, "#headline", "Face 1 looks happy")
    assert all(name.startswith("happy song ") for name in song_names(browser))
    assert browser.switch_to.active_element == first  # focus stays where it was
    assert browser.execute_script("return window.stillTheSamePage") is True


def made_here(browser, url, reading):
    """The browser becomes the one that sent the reading's photo."""
    from importlib import import_module

    from django.conf import settings

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    browser.get(url + reverse("recommender:home"))
    browser.add_cookie(
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": signed_session_with_reading(session, reading),
            "path": "/",
        }
    )


def test_not_quite_lets_the_visitor_pick_the_emotion_and_the_songs_follow(site):
    browser, url = site
    reading = services.save_reading(
        faces=[face("surprise", 0.33)], image_size=(300, 300)
    )
    made_here(browser, url, reading)
    headline = open_reading(browser, url, reading)
    assert headline.text == "Hard to tell — you look closest to surprised"
    browser.execute_script("window.stillTheSamePage = true")

    browser.find_element(By.CSS_SELECTOR, ".correction summary").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=emotion][value=sad]").click()
    browser.find_element(By.CSS_SELECTOR, "#correction-form button").click()
    wait_for_text(browser, "#headline", "You said you feel sad")
    assert all(name.startswith("sad song ") for name in song_names(browser))
    assert browser.switch_to.active_element.get_attribute("id") == "headline"
    assert browser.current_url.endswith("?face=1")
    assert browser.execute_script("return window.stillTheSamePage") is True
    correction = EmotionCorrection.objects.get()
    assert (correction.predicted, correction.chosen, correction.count) == (
        "surprise",
        "sad",
        1,
    )


def test_a_skip_link_leads_past_the_header(site):
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "Skip to content" and skip.is_displayed()
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"


@pytest.mark.parametrize(
    "page", ["home", "result", "calm_face", "no_face", "error", "gone"]
)
def test_no_serious_accessibility_problems(site, photo_files, page):
    browser, url = site
    if page == "home":
        browser.get(url + reverse("recommender:home"))
    elif page == "result":
        upload(browser, url, photo_files["face"])
        browser.find_element(By.CSS_SELECTOR, ".correction summary").click()
    elif page == "calm_face":  # of two faces, with calm songs
        open_reading(browser, url, two_face_reading(), face_key="2")
    elif page == "no_face":
        upload(browser, url, photo_files["no_face"])
    elif page == "error":
        upload(browser, url, photo_files["not_an_image"])
    else:
        browser.get(url + reverse("recommender:reading", args=["expired-or-unknown"]))
    assert serious_accessibility_problems(browser) == []


def test_the_accessibility_check_finds_a_serious_problem(site):
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    browser.execute_script(
        "var image = document.createElement('img');"  # no alt text
        "image.src = '/static/moodsite/favicon.svg';"
        "document.querySelector('main').append(image);"
    )
    problems = serious_accessibility_problems(browser)
    assert len(problems) == 1 and problems[0].startswith("image-alt (critical)")


def group_photo_reading(astronaut, browser):
    """The astronaut twice (real boxes from the detector), readings set by hand,
    and the photo kept in the tab as upload.js would have kept it."""
    head = astronaut[10:230, 120:330]
    canvas = np.full((300, 470, 3), 215, np.uint8)
    canvas[40:260, 20:230] = head
    canvas[40:260, 245:455] = np.ascontiguousarray(head[:, ::-1])
    found = analyze_rgb(canvas)
    assert len(found) == 2
    readings = [
        {"happy": 0.74, "neutral": 0.12, "surprise": 0.06, "sad": 0.03,
         "fear": 0.02, "angry": 0.02, "disgust": 0.01},
        {"fear": 0.46, "surprise": 0.21, "sad": 0.14, "neutral": 0.09,
         "angry": 0.05, "happy": 0.03, "disgust": 0.02},
    ]  # fmt: skip
    reading = services.save_reading(
        faces=[
            FaceResult(box=f.box, probabilities=p, emotion=max(p, key=p.get))
            for f, p in zip(found, readings, strict=True)
        ],
        image_size=(470, 300),
    )
    photo = "data:image/jpeg;base64," + base64.b64encode(
        encode_image(canvas, "JPEG", quality=85)
    ).decode("ascii")
    return reading, photo


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_screenshots_of_the_main_pages(
    site, astronaut, screenshot, request, screen, photo_files
):
    """Saves home-*.png and result-*.png (BROWSER_SCREENSHOTS=docs/screenshots
    writes the README's)."""
    if screen == "phone":
        request.getfixturevalue("phone")
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    home = save_small_png(screenshot(f"home-{screen}"))

    reading, photo = group_photo_reading(astronaut, browser)
    made_here(browser, url, reading)  # its sender's view, with "Not quite?"
    browser.execute_script(
        "sessionStorage.setItem(arguments[0], arguments[1])",
        f"moodsite:photo:{reading.pk}",
        photo,
    )
    open_reading(browser, url, reading, face_key="2")
    assert browser.find_element(By.CSS_SELECTOR, "img.photo-preview").is_displayed()
    browser.find_element(By.CSS_SELECTOR, ".correction summary").click()
    result = save_small_png(screenshot(f"result-{screen}"))
    for path in (home, result):
        assert path.stat().st_size < 300_000


def rect_of(browser, selector):
    return browser.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().toJSON();",
        selector,
    )


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_the_first_song_is_in_view_beside_or_under_the_headline(
    site, astronaut, width, height
):
    browser, url = site
    with screen_size(browser, width, height):
        reading, photo = group_photo_reading(astronaut, browser)
        browser.get(url + reverse("recommender:home"))
        browser.execute_script(
            "sessionStorage.setItem(arguments[0], arguments[1])",
            f"moodsite:photo:{reading.pk}",
            photo,
        )
        open_reading(browser, url, reading, face_key="2")
        assert browser.find_element(By.CSS_SELECTOR, "img.photo-preview").is_displayed()
        song = rect_of(browser, "#songs .song")
        headline = rect_of(browser, "#headline")
        photo_box = rect_of(browser, "#photo-frame")
        assert 0 <= song["top"] and song["top"] + 40 <= height, song
        assert headline["bottom"] <= song["top"]
        if width >= 720:
            assert song["left"] >= photo_box["right"]  # beside the photo
        else:
            assert photo_box["top"] >= song["bottom"]  # the photo comes after


def test_match_or_lift_and_the_unsure_choices_work_in_the_page(site):
    browser, url = site
    probabilities = {"sad": 0.36, "happy": 0.34, "neutral": 0.1, "fear": 0.08,
                     "surprise": 0.06, "angry": 0.04, "disgust": 0.02}  # fmt: skip
    reading = services.save_reading(
        faces=[FaceResult(box=(20, 20, 100, 100), probabilities=probabilities,
                          emotion="sad")],
        image_size=(300, 300),
    )  # fmt: skip
    made_here(browser, url, reading)  # one-tap answers are the sender's
    open_reading(browser, url, reading)
    assert "Songs for a sad mood" in browser.find_element(By.ID, "songs-heading").text
    browser.find_element(By.LINK_TEXT, "Lift my mood").click()
    wait_for_text(browser, "#songs-heading", "Songs for a happy mood")
    assert browser.current_url.endswith("music=lift")
    # One tap on the second likeliest emotion: a correction, swapped in place.
    old = browser.find_element(By.ID, "songs")
    browser.find_element(By.CSS_SELECTOR, '#unsure-form button[value="happy"]').click()
    WebDriverWait(browser, WAIT).until(EC.staleness_of(old))
    assert browser.find_element(By.CSS_SELECTOR, "#headline em").text == "happy"
    assert not browser.find_elements(By.ID, "unsure-form")
    assert Reading.objects.get(pk=reading.pk).corrections == {"1": "happy"}


def test_a_photo_over_the_limit_is_refused_before_it_is_sent(
    site, photo_files, settings
):
    browser, url = site
    settings.MAX_UPLOAD_BYTES = 1000  # the astronaut PNG is far larger
    browser.get(url + reverse("recommender:home"))
    browser.find_element(By.CSS_SELECTOR, "#upload-form input[type=file]").send_keys(
        str(photo_files["face"])
    )
    problem = browser.find_element(By.ID, "upload-problem")
    assert problem.is_displayed() and "larger than 1000 bytes" in problem.text
    browser.execute_script("window.stillTheSamePage = true")
    browser.find_element(By.ID, "upload-submit").click()
    assert browser.execute_script("return window.stillTheSamePage") is True
    assert Reading.objects.count() == 0


def test_find_my_music_says_it_is_working_once_sent(site, photo_files):
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    browser.find_element(By.CSS_SELECTOR, "#upload-form input[type=file]").send_keys(
        str(photo_files["face"])
    )
    # Read in the same script as the click: before the next page replaces it.
    state = browser.execute_script(
        "const b = document.getElementById('upload-submit'); b.click();"
        "return [b.disabled, b.textContent,"
        " document.getElementById('upload-form').getAttribute('aria-busy')];"
    )
    assert state == [True, "Reading your photo…", "true"]
    WebDriverWait(browser, WAIT).until(lambda b: RESULT_PATH.search(b.current_url))


def test_a_blocked_camera_says_what_to_do_in_the_page(site):
    browser, url = site
    browser.get(url + reverse("recommender:home"))
    # This browser has no camera permission: getUserMedia is refused.
    WebDriverWait(browser, WAIT).until(
        EC.element_to_be_clickable((By.ID, "webcam-start"))
    ).click()
    problem = WebDriverWait(browser, WAIT).until(
        EC.visibility_of_element_located((By.ID, "webcam-problem"))
    )
    assert "or upload a photo" in problem.text
    assert not browser.find_element(By.ID, "webcam").is_displayed()


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_a_scene_results_first_song_is_in_view_too(site, width, height):
    browser, url = site
    with screen_size(browser, width, height):
        reading = services.save_scene_reading(
            probabilities={"calm": 0.6, "happy": 0.2, "energetic": 0.1, "sad": 0.1},
            image_size=(640, 480),
        )
        open_reading(browser, url, reading)
        song = rect_of(browser, "#songs .song")
        assert 0 <= song["top"] and song["top"] + 40 <= height, song
