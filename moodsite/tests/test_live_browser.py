"""Live camera mode in real headless Chromium, with a fake webcam playing a photo.

Chromium's fake camera plays a .y4m file built here from skimage's astronaut.
The site runs on the stand-in emotion model, so which emotion she shows is
arbitrary; to see the music change (and not change while frozen) the test then
makes the server read a different emotion on her face.
"""

import dataclasses

import numpy as np
import pytest
from django.core.cache import cache
from django.urls import reverse

from faces import services as face_services
from faces.classifier import EMOTIONS, ModelNotAvailable
from faces.images import BUSY_MESSAGE, Busy
from moodsite.tests.conftest import (
    browser_required,
    missing_browser_reason,
    screen_size,
)
from moodsite.tests.pages import fill_pool, save_small_png
from recommender import live
from recommender.mapping import mood_for
from recommender.wording import adjective, with_article

if missing_browser_reason() and not browser_required():
    pytest.skip(missing_browser_reason(), allow_module_level=True)

from selenium.common.exceptions import (  # noqa: E402
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SONGS_PER_MOOD = 4
SONGS_PER_PAGE = 2
HOLD_SECONDS = 1
# Seconds to wait for frames and answers; generous for a busy CI machine.
WAIT = 30


def write_y4m(rgb, path, *, frames=3, fps=10):
    """RGB pixels (even sides) -> a YUV4MPEG2 video of `frames` identical frames.

    I420: a full-size Y plane, then U and V at half size each way, with the
    BT.601 studio-range coefficients Chromium decodes camera frames with.
    """
    height, width, _ = rgb.shape
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def plane(values):
        return np.clip(np.rint(values), 0, 255).astype(np.uint8).tobytes()

    def half(values):
        return values.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    picture = plane(y) + plane(half(u)) + plane(half(v))
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + picture)
    return path


@pytest.fixture(scope="module")
def fake_camera_video(tmp_path_factory, astronaut):
    """The webcam's picture for fake_camera_browser: the astronaut, still."""
    return write_y4m(astronaut, tmp_path_factory.mktemp("camera") / "astronaut.y4m")


@pytest.fixture
def pool(transactional_db):
    fill_pool(SONGS_PER_MOOD)


@pytest.fixture
def site(fake_camera_browser, live_server, pool, settings, stand_in_emotion_model):
    settings.SONGS_PER_PAGE = SONGS_PER_PAGE
    settings.LIVE_MOOD_HOLD_SECONDS = HOLD_SECONDS
    cache.clear()  # fresh frame budgets
    browser = fake_camera_browser
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get_log("browser")
    yield browser, live_server.url
    browser.get("about:blank")  # stop the page's frames before the server goes
    cache.clear()


def wait_for(browser, condition, message=""):
    try:
        return WebDriverWait(
            browser, WAIT, ignored_exceptions=(WebDriverException,)
        ).until(condition)
    except TimeoutException:
        # What the page showed when the wait ran out says why (an error the
        # site answered, no frame answered at all, ...).
        state = live_panel_state(browser)
        raise TimeoutException(f"{message}; the page: {state}") from None


def live_panel_state(browser):
    return browser.execute_script(
        """
        const element = (id) => document.getElementById(id) || {dataset: {}};
        const text = (id) => element(id).textContent;
        return {frames: element("live").dataset.frames,
                error: text("live-error"), status: text("live-status"),
                emotion: text("live-emotion"),
                boxes: document.querySelectorAll("#live-boxes .face-box").length,
                video_width: element("live-video").videoWidth};
        """
    ), [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] in ("SEVERE", "WARNING")
    ]


def live_song_names(browser):
    return [
        e.text for e in browser.find_elements(By.CSS_SELECTOR, "#live-songs .song-name")
    ]


def songs_of(mood):
    return lambda browser: (
        (names := live_song_names(browser))
        and all(name.startswith(f"{mood} song ") for name in names)
        and names
    )


def main_face_box(browser):
    """The main face's box and label, the video's place and the emotion text,
    read at one instant (each answer replaces the boxes)."""
    return browser.execute_script(
        """
        const box = document.querySelector("#live-boxes .face-box.main");
        if (!box || !box.offsetWidth) return null;
        const video = document.getElementById("live-video");
        return {label: box.textContent, box: box.getBoundingClientRect().toJSON(),
                video: video.getBoundingClientRect().toJSON(),
                emotion_text: document.getElementById("live-emotion").textContent};
        """
    )


def frames_answered(browser):
    return int(browser.find_element(By.ID, "live").get_attribute("data-frames"))


def open_snapshot_camera(browser, url):
    """The home page's *Use my webcam*; returns the *Go live* button once
    the camera's picture is in place. The panel opens before the video has its
    size and grows when it does, moving the buttons: a click in between can
    land where the button was a moment ago and go nowhere (as a person's
    would), so wait, as a person would, for the layout to settle."""
    browser.get(url + reverse("recommender:home"))
    wait_for(browser, EC.element_to_be_clickable((By.ID, "webcam-start"))).click()
    wait_for(
        browser,
        lambda b: b.execute_script(
            "return document.getElementById('webcam-video').videoWidth > 0"
        ),
        "the snapshot camera showed no picture",
    )
    # Two frames: the grown layout is drawn and its scroll into view is done.
    browser.execute_async_script(
        "const done = arguments[0];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done()));"
    )
    return wait_for(browser, EC.element_to_be_clickable((By.ID, "webcam-live")))


def go_live(browser, url):
    open_snapshot_camera(browser, url).click()
    panel = wait_for(browser, EC.visibility_of_element_located((By.ID, "live")))
    assert not browser.find_element(By.ID, "webcam").is_displayed()
    return panel


def reading_on_her_face(emotion):
    """analyze_image, but every face reads as `emotion`."""
    real = face_services.analyze_image

    def analyze(data):
        return [dataclasses.replace(face, emotion=emotion) for face in real(data)]

    return analyze


def test_live_camera_boxes_the_face_and_plays_songs_for_a_held_mood(
    site, monkeypatch, screenshots_dir
):
    browser, url = site
    go_live(browser, url)

    # Frames come back with her face boxed and its emotion on the box and as text.
    seen = wait_for(browser, main_face_box, "no face box was drawn")
    feeling, percent = seen["label"].split()
    (emotion,) = [e for e in EMOTIONS if adjective(e) == feeling]
    assert percent.endswith("%")
    box, video = seen["box"], seen["video"]
    assert box["width"] > 40 and box["height"] > 40
    assert video["left"] <= box["left"] and box["right"] <= video["right"]
    assert video["top"] <= box["top"] and box["bottom"] <= video["bottom"]
    assert seen["emotion_text"] == f"You look {feeling}"

    # Her mood holds, so its songs arrive, and the live region says so.
    mood = mood_for(emotion)
    first_songs = wait_for(browser, songs_of(mood), f"no {mood} songs appeared")
    assert len(first_songs) == SONGS_PER_PAGE
    heading = browser.find_element(By.ID, "live-mood")
    assert heading.get_attribute("aria-live") == "polite"
    assert heading.text == f"You look {feeling}: songs for {with_article(mood)} mood"
    browser.save_screenshot(str(screenshots_dir / "live.png"))
    # "Play" on a live song puts Spotify's player in its place.
    song = browser.find_element(By.CSS_SELECTOR, "#live-songs .song")
    embed = song.find_element(By.CSS_SELECTOR, "button.play").get_attribute(
        "data-embed"
    )
    song.find_element(By.CSS_SELECTOR, "button.play").click()
    player = song.find_element(By.CSS_SELECTOR, ".player iframe")
    assert player.get_attribute("src") == embed

    # Freeze, then her face reads as another mood for longer than the hold.
    freeze = browser.find_element(By.ID, "live-freeze")
    assert freeze.text == "Freeze songs"
    freeze.click()
    assert freeze.get_attribute("aria-pressed") == "true"
    assert freeze.text == "Let songs change"  # says what pressing it does now
    other_emotion = next(e for e in EMOTIONS if mood_for(e) != mood)
    other_mood = mood_for(other_emotion)
    monkeypatch.setattr(
        face_services, "analyze_image", reading_on_her_face(other_emotion)
    )
    status = browser.find_element(By.ID, "live-status")
    wait_for(
        browser,
        lambda _: (
            status.get_attribute("data-next-mood") == other_mood
            and status.get_attribute("data-changes-in") == "0"
        ),
        "the new mood never held long enough",
    )
    frames_when_ready = frames_answered(browser)
    # One more answer with the hold long past: the songs still stay.
    wait_for(browser, lambda b: frames_answered(b) > frames_when_ready)
    assert live_song_names(browser) == first_songs
    assert heading.text == f"You look {feeling}: songs for {with_article(mood)} mood"
    assert "frozen" in status.text and other_mood in status.text
    emotion_text = browser.find_element(By.ID, "live-emotion").text
    assert emotion_text == f"You look {adjective(other_emotion)}"
    browser.save_screenshot(str(screenshots_dir / "live-frozen.png"))

    # Unfreeze: the music follows the mood that held.
    freeze.click()
    assert freeze.get_attribute("aria-pressed") == "false"
    assert freeze.text == "Freeze songs"
    wait_for(browser, songs_of(other_mood), f"no {other_mood} songs after unfreezing")
    other_feeling = adjective(other_emotion)
    assert (
        heading.text
        == f"You look {other_feeling}: songs for {with_article(other_mood)} mood"
    )

    # Stopping ends the camera and the frames; the songs stay.
    browser.execute_script(
        "window.liveTracks = arguments[0].srcObject.getTracks()",
        browser.find_element(By.ID, "live-video"),
    )
    browser.find_element(By.ID, "live-stop").click()
    assert browser.execute_script(
        "return window.liveTracks.every(t => t.readyState === 'ended')"
    )
    assert not browser.find_element(By.ID, "live-video").is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, "#live-boxes .face-box")
    assert live_song_names(browser)

    log = browser.get_log("browser")
    assert [entry["message"] for entry in log if entry["level"] == "SEVERE"] == []


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_live_songs_are_in_view_beside_or_under_the_video(
    site, width, height, screenshots_dir
):
    browser, url = site
    with screen_size(browser, width, height):
        live_button = open_snapshot_camera(browser, url)
        # The snapshot camera's buttons are in view once its video has its
        # size: the page scrolls them into view then.
        wait_for(
            browser,
            lambda b: all(in_view(b, f"#{button}", height) for button in BUTTONS),
            "the snapshot camera's buttons are not in view",
        )
        live_button.click()
        wait_for(browser, songs_of(mood_for(live_emotion(browser))), "no songs")
        song, video = rect(browser, "#live-songs .song"), rect(browser, "#live-video")
        screen = "desktop" if width >= 720 else "phone"
        shot = screenshots_dir / f"live-{screen}.png"
        browser.save_screenshot(str(shot))
        save_small_png(shot)
        assert 0 <= song["top"] and song["top"] + 40 <= height, song
        for button in ("live-freeze", "live-stop"):
            place = rect(browser, f"#{button}")
            assert 0 <= place["top"] and place["bottom"] <= height, (button, place)
        if width >= 720:
            assert song["left"] >= video["right"]  # beside the video
        else:
            assert song["top"] >= video["bottom"]


BUTTONS = ("webcam-snap", "webcam-live")


def in_view(browser, selector, height):
    place = rect(browser, selector)
    return 0 <= place["top"] and place["bottom"] <= height


def rect(browser, selector):
    return browser.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().toJSON();",
        selector,
    )


def live_emotion(browser):
    seen = wait_for(browser, main_face_box, "no face box was drawn")
    feeling = seen["label"].split()[0]
    return next(e for e in EMOTIONS if adjective(e) == feeling)


def test_past_the_budget_the_page_says_so_waits_and_goes_on(site, monkeypatch):
    browser, url = site
    refusals = []
    real_take = live.FrameBudget.take

    def take(budget, visitor):
        # The second frame is refused for a second; the rest go through.
        refusals.append(len(refusals) == 1)
        return 1.0 if refusals[-1] else real_take(budget, visitor)

    monkeypatch.setattr(live.FrameBudget, "take", take)
    go_live(browser, url)
    error = browser.find_element(By.ID, "live-error")
    wait_for(browser, lambda _: error.is_displayed(), "the 429 was not shown")
    assert error.get_attribute("role") == "alert"
    assert error.text.startswith("Too many frames") and "Wait 1 s" in error.text
    frames = frames_answered(browser)
    # After Retry-After the frames go on and the message goes away.
    wait_for(
        browser, lambda b: frames_answered(b) > frames and not error.is_displayed()
    )
    assert refusals.count(True) == 1


def frames_failing(monkeypatch, error, fails):
    """analyze_image raises `error` for the frames (counted from 1) that
    `fails` picks, and reads the others; returns the frames it was given."""
    real, calls = face_services.analyze_image, []

    def analyze(data):
        calls.append(data)
        if fails(len(calls)):
            raise error
        return real(data)

    monkeypatch.setattr(face_services, "analyze_image", analyze)
    return calls


def test_a_busy_site_is_waited_out_and_the_frames_go_on(site, monkeypatch):
    browser, url = site
    # The second frame finds the worker busy; the rest are read.
    frames_failing(monkeypatch, Busy(), lambda frame: frame == 2)
    monkeypatch.setattr(face_services.PhotoBusy, "retry_after", 1)
    go_live(browser, url)
    error = browser.find_element(By.ID, "live-error")
    wait_for(browser, lambda _: error.is_displayed(), "the 503 was not shown")
    assert error.get_attribute("role") == "alert"
    assert error.text == BUSY_MESSAGE
    frames = frames_answered(browser)
    wait_for(
        browser,
        lambda b: frames_answered(b) > frames and not error.is_displayed(),
        "the frames did not go on after Retry-After",
    )
    assert browser.find_element(By.ID, "live-video").is_displayed()


def test_without_the_emotion_model_the_camera_stops_and_says_why(site, monkeypatch):
    browser, url = site
    missing = ModelNotAvailable("no emotion model in the test's folder")
    calls = frames_failing(monkeypatch, missing, lambda frame: frame >= 2)
    go_live(browser, url)
    error = browser.find_element(By.ID, "live-error")
    wait_for(browser, lambda _: error.is_displayed(), "the 503 was not shown")
    assert error.text == live.UNAVAILABLE_MESSAGE
    assert browser.find_element(By.ID, "live-status").text == "Camera off."
    assert not browser.find_element(By.ID, "live-video").is_displayed()
    assert len(calls) == 2  # no frame after the camera stopped


def test_lift_my_mood_in_the_live_panel_changes_the_songs(site, monkeypatch):
    browser, url = site
    monkeypatch.setattr(face_services, "analyze_image", reading_on_her_face("sad"))
    go_live(browser, url)
    wait_for(browser, songs_of("sad"), "no sad songs appeared")
    lift = browser.find_element(
        By.CSS_SELECTOR, "#live-directions button[data-direction=lift]"
    )
    assert lift.text == "Lift my mood" and lift.get_attribute("aria-pressed") == "false"
    lift.click()
    assert lift.get_attribute("aria-pressed") == "true"
    wait_for(browser, songs_of("happy"), "lifting never brought happy songs")
