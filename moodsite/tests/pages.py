"""What the browser tests do on the site's pages, in one place."""

from django.urls import reverse
from PIL import Image

from moodsite.testing import make_song
from music.mood import MOODS

# Seconds a browser test waits for the page to do something.
WAIT = 20


def fill_pool(songs_per_mood):
    """`songs_per_mood` songs in every mood, without covers (nothing to fetch)."""
    for n in range(songs_per_mood * len(MOODS)):
        mood = MOODS[n % len(MOODS)]
        make_song(name=f"{mood} song {n}", artists="Somebody", cover_url="",
                  predicted_mood=mood, mood_score=n / 100)  # fmt: skip


def upload(browser, url, path):
    """Open the home page, choose `path` in the file input and send the form;
    returns the next page's <h1>."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url + reverse("recommender:home"))
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


def save_small_png(path):
    """Down to a 128-colour palette: the README's screenshots stay small."""
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=128)
    small.save(path, optimize=True)
    return path
