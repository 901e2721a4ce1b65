"""The live camera's frame endpoint, its frame budget and its mood hold."""

import json
import os
import sys

import cv2
import numpy as np
import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from faces import classifier
from faces import services as face_services
from faces.classifier import EMOTIONS
from faces.images import NOT_AN_IMAGE_MESSAGE, decode_slot
from moodsite import budget
from moodsite.testing import encode_image
from music.mood import MOODS
from recommender import live
from recommender.live import FrameBudget, MoodHold, seconds_to_change, settle_mood
from recommender.mapping import mood_for
from recommender.tests.conftest import face
from recommender.wording import adjective, with_article

URL = reverse("recommender:live_frame")
HOLD = 3


class FakeClock:
    def __init__(self, start=1_000_000.0):
        self.time = start

    def __call__(self):
        return self.time


@pytest.fixture(autouse=True)
def fresh_budgets_and_clock(settings, monkeypatch):
    """Empty buckets, a clock the test moves, and the default budget."""
    settings.LIVE_FRAMES_PER_SECOND = 5
    settings.LIVE_FRAME_BURST = 10
    settings.LIVE_MOOD_HOLD_SECONDS = HOLD
    cache.clear()
    clock = FakeClock()
    monkeypatch.setattr(live, "now", clock)
    monkeypatch.setattr(budget, "now", clock)
    yield clock
    cache.clear()


@pytest.fixture(scope="module")
def face_frame(astronaut):
    """The astronaut as the page sends her: a 480 px JPEG."""
    small = cv2.resize(astronaut, (480, 480), interpolation=cv2.INTER_AREA)
    return encode_image(small, "JPEG", quality=80)


@pytest.fixture(scope="module")
def faceless_frame(faceless):
    return encode_image(faceless, "JPEG", quality=80)


def post_frame(client, data, *, state=None, frozen=False, name="frame.jpg", music=None):
    fields = {"frame": SimpleUploadedFile(name, data, content_type="image/jpeg")}
    if music is not None:
        fields["music"] = music
    if state is not None:
        fields["state"] = json.dumps(state)
    if frozen:
        fields["frozen"] = "1"
    return client.post(URL, fields)


# ------------------------------------------------------------ good frames


def test_a_face_frame_gets_its_boxes_emotions_and_mood(
    client, db, stand_in_emotion_model, face_frame
):
    response = post_frame(client, face_frame)
    assert response.status_code == 200
    answer = response.json()
    assert answer["image_size"] == [480, 480]
    (face,) = answer["faces"]
    x, y, w, h = face["box"]
    assert 0 <= x < x + w <= 480 and 0 <= y < y + h <= 480 and w > 40
    assert face["emotion"] in EMOTIONS
    assert 0 < face["confidence"] <= 1
    assert face["feeling"] == adjective(face["emotion"])
    assert face["label"] == f"{face['feeling']} {round(100 * face['confidence'])}%"
    assert answer["mood"] == mood_for(face["emotion"])
    # The first mood waits its hold too: no songs yet, but it is on its way.
    assert answer["music"] == {
        "mood": None,
        "next_mood": answer["mood"],
        "changes_in": HOLD,
        "direction": "match",
        "mood_words": None,
        "next_mood_words": with_article(answer["mood"]),
    }
    assert "songs_html" not in answer
    assert answer["min_interval_ms"] == 200


def music(mood, next_mood, changes_in):
    """A frame answer's "music", with the moods' words ("an energetic")."""
    return {
        "mood": mood,
        "next_mood": next_mood,
        "changes_in": changes_in,
        "direction": "match",
        "mood_words": with_article(mood) if mood else None,
        "next_mood_words": with_article(next_mood) if next_mood else None,
    }


def test_songs_come_once_the_mood_has_held(
    client, db, stand_in_emotion_model, face_frame, make_songs, fresh_budgets_and_clock
):
    clock = fresh_budgets_and_clock
    songs = {mood: make_songs(mood, 2) for mood in MOODS}
    first = post_frame(client, face_frame).json()
    mood = first["mood"]

    clock.time += HOLD - 0.5
    early = post_frame(client, face_frame, state=first["state"]).json()
    assert early["music"] == music(None, mood, 0.5)
    assert "songs_html" not in early

    clock.time += 0.5
    settled = post_frame(client, face_frame, state=early["state"]).json()
    assert settled["music"] == music(mood, None, None)
    html = settled["songs_html"]
    assert 'id="songs"' in html and "<html" not in html
    assert all(song.name in html for song in songs[mood])
    others = [song for other in MOODS if other != mood for song in songs[other]]
    assert not any(song.name in html for song in others)

    # The same mood again changes nothing.
    clock.time += 10
    again = post_frame(client, face_frame, state=settled["state"]).json()
    assert again["music"]["mood"] == mood and "songs_html" not in again


def test_the_shipped_model_finds_the_astronaut_happy(
    client, db, face_frame, make_songs, fresh_budgets_and_clock
):
    classifier.clear_cache()
    make_songs("happy", 3)
    first = post_frame(client, face_frame).json()
    assert [face["emotion"] for face in first["faces"]] == ["happy"]
    fresh_budgets_and_clock.time += HOLD
    settled = post_frame(client, face_frame, state=first["state"]).json()
    assert settled["music"]["mood"] == "happy"
    assert settled["songs_html"].count('class="song"') == 3


def test_a_frame_without_a_face_keeps_the_music(
    client, db, stand_in_emotion_model, faceless_frame
):
    state = {"playing": "sad", "candidate": "calm", "since": 5.0}
    answer = post_frame(client, faceless_frame, state=state).json()
    assert answer["faces"] == [] and answer["mood"] is None
    assert answer["state"] == state
    assert answer["music"]["mood"] == "sad" and "songs_html" not in answer


def test_frozen_songs_stay_until_resumed(
    client, db, stand_in_emotion_model, face_frame, make_songs, fresh_budgets_and_clock
):
    clock = fresh_budgets_and_clock
    first = post_frame(client, face_frame).json()
    mood = first["mood"]
    other = next(m for m in MOODS if m != mood)
    make_songs(mood, 2)
    playing_other = {"playing": other, "candidate": mood, "since": clock.time - 60}

    frozen = post_frame(client, face_frame, state=playing_other, frozen=True).json()
    assert frozen["music"] == music(other, mood, 0)
    assert "songs_html" not in frozen

    resumed = post_frame(client, face_frame, state=frozen["state"]).json()
    assert resumed["music"]["mood"] == mood and "songs_html" in resumed


def test_frames_make_no_session_rows_until_songs_are_picked(
    client, db, stand_in_emotion_model, face_frame
):
    for _ in range(3):
        assert post_frame(client, face_frame).status_code == 200
    assert Session.objects.count() == 0


# ------------------------------------------------------------ bad frames


@pytest.mark.parametrize(
    "data, message",
    [
        (b"just some text", NOT_AN_IMAGE_MESSAGE),
        (b"", "The file is empty. Please choose a photo."),
    ],
)
def test_a_bad_frame_is_a_400_with_the_message(
    client, stand_in_emotion_model, data, message
):
    response = post_frame(client, data)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


def test_no_frame_is_a_400(client):
    response = client.post(URL, {"state": "{}"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "status": 400,
        "code": "missing_frame",
        "message": live.NO_FRAME_MESSAGE,
    }


def test_a_frame_too_big_to_be_live_is_a_400(client, stand_in_emotion_model, encode):
    wide = encode(np.full((40, live.MAX_FRAME_SIDE + 1, 3), 128, np.uint8))
    # Just over the byte limit (read, then refused) and far over it (refused unread).
    over = encode(np.zeros((8, 8, 3), np.uint8)) + b"0" * live.MAX_FRAME_BYTES
    far_over = b"0" * (live.MAX_FRAME_BYTES + 100 * 1024)
    for data in (wide, over, far_over):
        response = post_frame(client, data, name="big.png")
        assert response.status_code == 400
        assert response.json()["error"]["message"] == live.TOO_BIG_MESSAGE


def test_state_from_the_page_is_checked(client, db, stand_in_emotion_model, face_frame):
    for garbage in ("not json", "[1, 2]", '{"playing": "grumpy"}', '{"since": "x"}'):
        response = client.post(
            URL,
            {"frame": SimpleUploadedFile("f.jpg", face_frame), "state": garbage},
        )
        assert response.status_code == 200
        assert response.json()["music"]["mood"] is None


def test_without_the_model_it_is_a_503(client, settings, tmp_path, face_frame):
    settings.MODELS_DIR = tmp_path
    classifier.clear_cache()
    response = post_frame(client, face_frame)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == live.UNAVAILABLE_MESSAGE


@pytest.mark.usefixtures("broken_emotion_model")
def test_a_model_that_fails_or_answers_nan_is_a_503(client, face_frame):
    response = post_frame(client, face_frame)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == live.UNAVAILABLE_MESSAGE


def test_a_process_busy_decoding_answers_503_with_retry_after(
    client, settings, face_frame
):
    settings.MAX_CONCURRENT_DECODES, settings.DECODE_WAIT_SECONDS = 1, 0
    with decode_slot():
        response = post_frame(client, face_frame)
    assert response.status_code == 503 and response["Retry-After"]
    assert "busy" in response.json()["error"]["message"]


def test_only_posts_with_the_csrf_token_are_answered(
    db, stand_in_emotion_model, face_frame
):
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(URL).status_code == 405
    assert post_frame(browser, face_frame).status_code == 403
    token = browser.get(reverse("recommender:home")).cookies["csrftoken"].value
    response = browser.post(
        URL,
        {"frame": SimpleUploadedFile("f.jpg", face_frame)},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_frames_never_touch_the_disk(
    client, db, settings, stand_in_emotion_model, face_frame
):
    # Even where ordinary uploads this big would be spooled to a temporary file.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    writes = []

    def audit(event, args):
        if recording and event == "open":
            path, mode, flags = args
            writing = mode and any(c in mode for c in "wax+")
            writing = writing or (
                mode is None and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing:
                writes.append(path)

    # Audit hooks cannot be removed: this one records only inside the block.
    recording = True
    sys.addaudithook(audit)
    try:
        for _ in range(2):
            assert post_frame(client, face_frame).status_code == 200
        # A body too big for a frame is refused unread, not spooled to a file.
        huge = b"0" * (live.MAX_FRAME_BYTES + 100 * 1024)
        assert post_frame(client, huge).status_code == 400
    finally:
        recording = False
    assert writes == []


# ------------------------------------------------------------ the budget


def test_budget_allows_a_burst_then_the_sustained_rate():
    clock = FakeClock()
    budget = FrameBudget(rate=5, burst=3, clock=clock, store=LocMemCache("t", {}))
    assert [budget.take("v") for _ in range(3)] == [0, 0, 0]
    assert budget.take("v") == pytest.approx(0.2)  # one frame per 1/5 s
    clock.time += 0.1
    assert budget.take("v") == pytest.approx(0.1)
    clock.time += 0.1
    assert budget.take("v") == 0
    assert budget.take("v") == pytest.approx(0.2)
    # Each visitor has a bucket of their own.
    assert budget.take("someone-else") == 0
    # A long pause refills the bucket to the burst, not beyond.
    clock.time += 60
    assert [budget.take("v") for _ in range(4)][-2:] == [0, pytest.approx(0.2)]


def test_budget_rejects_nonsense_settings():
    with pytest.raises(ValueError):
        FrameBudget(rate=0, burst=3)


def test_past_the_budget_it_is_a_429_with_retry_after(
    client, db, settings, stand_in_emotion_model, face_frame, fresh_budgets_and_clock
):
    clock = fresh_budgets_and_clock
    settings.LIVE_FRAMES_PER_SECOND = 1
    settings.LIVE_FRAME_BURST = 2
    # The first frame comes without the visitor cookie (counted by address);
    # then the cookie's own bucket has its burst of 2.
    assert [post_frame(client, face_frame).status_code for _ in range(3)] == [200] * 3
    refused = post_frame(client, face_frame)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert "1 a second" in refused.json()["error"]["message"]

    # Someone else still gets through.
    assert post_frame(Client(), face_frame).status_code == 200

    clock.time += 1
    assert post_frame(client, face_frame).status_code == 200
    assert post_frame(client, face_frame).status_code == 429


def test_a_forged_visitor_cookie_does_not_get_a_fresh_budget(
    client, db, settings, stand_in_emotion_model, face_frame
):
    settings.LIVE_FRAMES_PER_SECOND = 1
    settings.LIVE_FRAME_BURST = 1
    client.cookies[live.VISITOR_COOKIE] = "made-up"
    assert post_frame(client, face_frame).status_code == 200
    client.cookies[live.VISITOR_COOKIE] = "made-up-again"
    assert post_frame(client, face_frame).status_code == 429


def test_fresh_cookies_get_no_more_than_the_address_may(
    db, settings, stand_in_emotion_model, face_frame
):
    """Each cookie-less request would be a new visitor: the address still counts."""
    settings.ADDRESS_READINGS_PER_SECOND = 1
    settings.ADDRESS_READINGS_BURST = 3
    statuses = [post_frame(Client(), face_frame).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_a_refused_frame_mints_no_visitor_cookie(
    db, settings, stand_in_emotion_model, face_frame
):
    settings.ADDRESS_READINGS_PER_SECOND = 1
    settings.ADDRESS_READINGS_BURST = 1
    assert live.VISITOR_COOKIE in post_frame(Client(), face_frame).cookies
    refused = post_frame(Client(), face_frame)
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert live.VISITOR_COOKIE not in refused.cookies


def test_photos_and_frames_share_the_address_budget(
    client, db, settings, stand_in_emotion_model, face_frame
):
    settings.ADDRESS_READINGS_PER_SECOND = 1
    settings.ADDRESS_READINGS_BURST = 2
    photo = SimpleUploadedFile("p.jpg", face_frame, content_type="image/jpeg")
    api = Client(HTTP_ACCEPT="application/json")
    assert api.post(
        reverse("recommender:api-analyze"), {"image": photo}
    ).status_code in (
        200,
        503,  # (no songs in this test's pool is fine: the reading was spent)
    )
    assert post_frame(client, face_frame).status_code == 200
    assert post_frame(client, face_frame).status_code == 429


# ------------------------------------------------------------ the mood hold


def test_settle_mood_changes_only_after_the_hold():
    hold = MoodHold()
    hold = settle_mood(hold, "sad", at=0, hold_seconds=3)
    assert hold == MoodHold(candidate="sad", since=0)
    assert seconds_to_change(hold, at=1, hold_seconds=3) == 2
    hold = settle_mood(hold, None, at=1, hold_seconds=3)  # a frame without a face
    assert hold == MoodHold(candidate="sad", since=0)
    hold = settle_mood(hold, "sad", at=2.9, hold_seconds=3)
    assert hold.playing is None
    hold = settle_mood(hold, "sad", at=3, hold_seconds=3)
    assert hold == MoodHold(playing="sad")
    assert seconds_to_change(hold, at=3, hold_seconds=3) is None


def test_settle_mood_does_not_flap():
    hold = MoodHold(playing="happy")
    moods = ["sad", "sad", "happy", "sad", "calm", "sad", "sad"]
    for t, mood in enumerate(moods):
        hold = settle_mood(hold, mood, at=t, hold_seconds=3)
        assert hold.playing == "happy"
    # "sad" has been seen since t=5 only: it needs t=8.
    assert settle_mood(hold, "sad", at=8, hold_seconds=3).playing == "sad"


def test_settle_mood_waits_while_frozen():
    hold = MoodHold(playing="happy", candidate="sad", since=0)
    frozen = settle_mood(hold, "sad", at=100, hold_seconds=3, frozen=True)
    assert frozen == hold
    assert seconds_to_change(frozen, at=100, hold_seconds=3) == 0
    assert settle_mood(frozen, "sad", at=101, hold_seconds=3).playing == "sad"


def test_the_live_camera_lifts_the_mood_when_asked_and_the_visit_keeps_it(
    client, db, monkeypatch, face_frame, fresh_budgets_and_clock
):
    monkeypatch.setattr(face_services, "analyze_image", lambda data: [face("sad", 0.9)])
    matched = post_frame(client, face_frame).json()
    assert matched["mood"] == "sad" and matched["music"]["direction"] == "match"
    lifted = post_frame(client, face_frame, music="lift").json()
    assert lifted["mood"] == "happy" and lifted["music"]["direction"] == "lift"
    # The visit keeps it: the next frame, and the result pages, lift too.
    assert post_frame(client, face_frame).json()["mood"] == "happy"
    assert client.session["moodsite_direction"] == "lift"
    # Anything else is no choice: the visit's stays.
    assert post_frame(client, face_frame, music="sideways").json()["mood"] == "happy"
