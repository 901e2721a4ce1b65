"""Fixtures for the browser tests: one headless Chromium per module, driven by Selenium.

Chromium and its driver come from the system (Debian: ``apt-get install chromium
chromium-driver``). When they are missing the browser tests skip, unless
REQUIRE_BROWSER=1 (as CI sets) makes that a failure, so a missing browser can't
pass silently.
"""

import base64
import contextlib
import os
import tempfile
from pathlib import Path

import pytest

from moodsite.testing import encode_image

CHROMIUM = Path(os.getenv("CHROMIUM_BINARY") or "/usr/bin/chromium")
CHROMEDRIVER = Path(os.getenv("CHROMEDRIVER_PATH") or "/usr/bin/chromedriver")
WINDOW_SIZE = (1280, 900)
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
PROXY_VARIABLES += tuple(name.upper() for name in PROXY_VARIABLES)
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-proxy-server",
    # Any host but the live server fails to resolve: a page that reached out to
    # the internet would show it as a failed request instead of leaking traffic.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
]


def browser_required():
    return os.getenv("REQUIRE_BROWSER", "").lower() in ("1", "true", "yes")


def browser_unavailable(reason):
    """Skip, or fail when REQUIRE_BROWSER=1 says the browser must be there."""
    if browser_required():
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def missing_browser_reason():
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{path} not found: install {package} to run the browser tests"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -r requirements-dev.txt"
    return None


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium that talks only to 127.0.0.1 and never downloads drivers."""
    with chromium() as driver:
        yield driver


@contextlib.contextmanager
def chromium(extra_flags=()):
    """Starts headless Chromium (CHROMIUM_FLAGS + extra_flags) under Selenium."""
    reason = missing_browser_reason()
    if reason:
        browser_unavailable(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, *extra_flags]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with (
        tempfile.TemporaryDirectory(prefix="moodsite-chromium-") as profile,
        pytest.MonkeyPatch.context() as env,
    ):
        options.add_argument(f"--user-data-dir={profile}")
        # An explicit driver path already skips Selenium Manager (the part that
        # downloads drivers); offline mode makes sure it never goes online.
        env.setenv("SE_OFFLINE", "true")
        # Selenium's own client must reach chromedriver directly, not via a proxy.
        for name in PROXY_VARIABLES:
            env.delenv(name, raising=False)
        driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory):
    """Where pages are saved as PNG: BROWSER_SCREENSHOTS or a pytest temp folder."""
    folder = os.getenv("BROWSER_SCREENSHOTS")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("browser-screenshots")


@pytest.fixture
def screenshot(browser, screenshots_dir):
    """screenshot(name) saves the whole page, not just the window; returns its path."""

    def save(name):
        size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}
        shot = browser.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": clip | {"scale": 1},
            },
        )
        path = screenshots_dir / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    return save


@pytest.fixture(scope="module")
def photo_files(tmp_path_factory, astronaut, faceless):
    """Files on disk for the file input: a face, no face, and not an image."""
    folder = tmp_path_factory.mktemp("browser-uploads")
    files = {
        "face": folder / "astronaut.png",
        "no_face": folder / "gradient.png",
        "not_an_image": folder / "notes.txt",
    }
    files["face"].write_bytes(encode_image(astronaut))
    files["no_face"].write_bytes(encode_image(faceless))
    files["not_an_image"].write_text("just some text, not a picture")
    return files


@pytest.fixture(scope="module")
def fake_camera_browser(fake_camera_video):
    """A headless Chromium whose webcam plays `fake_camera_video` (a .y4m file,
    a fixture of the test module) and which grants camera access unasked."""
    camera = [
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={fake_camera_video}",
        "--use-fake-ui-for-media-stream",
    ]
    with chromium(camera) as driver:
        yield driver


@contextlib.contextmanager
def screen_size(browser, width, height):
    """The browser as a screen of width x height CSS px (a phone's under 720)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": width,
            "height": height,
            "deviceScaleFactor": 1,
            "mobile": width < 720,
        },
    )
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture
def phone(browser):
    """The browser as a 390 px wide phone screen, for the length of a test."""
    with screen_size(browser, 390, 844):
        yield
