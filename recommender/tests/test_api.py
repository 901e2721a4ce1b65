import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from faces import classifier as classifier_module
from faces.classifier import EMOTIONS, VISITOR_MESSAGE
from faces.images import NOT_AN_IMAGE_MESSAGE, decode_slot
from moodsite.testing import encode_image
from recommender import throttle
from recommender.mapping import mood_for
from recommender.models import Reading
from recommender.tests.conftest import face


@pytest.fixture
def api():
    """A client that enforces CSRF, as a browser's request would be checked."""
    return Client(enforce_csrf_checks=True)


def analyze(api, data, name="photo.png", field="image"):
    files = {field: SimpleUploadedFile(name, data)} if data is not None else {}
    return api.post(reverse("recommender:api-analyze"), files)


@pytest.mark.usefixtures("stand_in_emotion_model")
def test_analyze_answers_faces_mood_songs_and_the_result_url(
    api, all_moods, astronaut, settings
):
    settings.SONGS_PER_PAGE = 2
    response = analyze(api, encode_image(astronaut))
    assert response.status_code == 200 and response["Content-Type"] == (
        "application/json"
    )
    body = response.json()
    (found,) = body["faces"]
    assert set(found["box"]) == {"x", "y", "width", "height"}
    assert set(found["probabilities"]) == set(EMOTIONS)
    assert found["emotion"] == max(
        found["probabilities"], key=found["probabilities"].get
    )
    assert body["mood"] == mood_for(found["emotion"]) and "group" not in body
    assert len(body["songs"]) == 2
    assert {song["id"] for song in body["songs"]} <= {
        song.pk for song in all_moods[body["mood"]]
    }
    reading = Reading.objects.get()
    assert body["result_url"] == f"http://testserver/r/{reading.pk}/"
    assert not response.cookies  # no session, no CSRF cookie
    assert api.get(body["result_url"]).status_code == 200


@pytest.mark.usefixtures("stand_in_emotion_model")
def test_analyze_gives_the_group_for_two_faces(api, all_moods, monkeypatch):
    faces = [face("happy", box=(0, 0, 50, 50)), face("sad", box=(60, 0, 40, 40))]
    monkeypatch.setattr("faces.services.analyze_photo", lambda photo: faces)
    body = analyze(api, encode_image(_gray())).json()
    assert [f["emotion"] for f in body["faces"]] == ["happy", "sad"]
    assert body["group"]["emotion"] == "happy" and body["music_follows"] == "group"
    assert body["group"]["label"] == "happy"


def _gray():
    return np.full((100, 120, 3), 128, np.uint8)


@pytest.mark.usefixtures("stand_in_emotion_model")
def test_no_face_is_an_empty_answer_not_an_error(api, db, faceless):
    response = analyze(api, encode_image(faceless))
    assert response.status_code == 200
    assert response.json()["faces"] == [] and response.json()["result_url"] is None
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    "data, field, status, code",
    [
        (b"just text", "image", 400, "invalid"),
        (b"", "image", 400, "empty"),
        (None, "image", 400, "missing_image"),
        (b"x", "photo", 400, "missing_image"),
    ],
)
def test_bad_uploads_are_json_errors_with_the_pages_messages(
    api, db, data, field, status, code
):
    response = analyze(api, data, field=field)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    if data == b"just text":
        assert error["message"] == NOT_AN_IMAGE_MESSAGE


def test_an_unreadable_multipart_body_is_a_json_400(api, db):
    response = api.generic(
        "POST",
        reverse("recommender:api-analyze"),
        b"--abc\r\nno headers here",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_upload"


def test_too_large_is_413(api, db, astronaut, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = analyze(api, encode_image(astronaut))
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["error"]["message"]


def test_missing_model_is_503(api, db, astronaut, settings, tmp_path):
    settings.MODELS_DIR = tmp_path
    classifier_module.clear_cache()
    response = analyze(api, encode_image(astronaut))
    assert response.status_code == 503
    assert response.json()["error"]["message"] == VISITOR_MESSAGE
    assert str(tmp_path) not in response.content.decode()


@pytest.mark.usefixtures("broken_emotion_model")
def test_a_model_that_fails_or_answers_nan_is_503(api, db, astronaut):
    response = analyze(api, encode_image(astronaut))
    assert response.status_code == 503
    assert response.json()["error"] == {
        "status": 503,
        "code": "model_unavailable",
        "message": VISITOR_MESSAGE,
    }
    assert not Reading.objects.exists()


def test_a_process_busy_decoding_answers_503_with_retry_after(
    api, db, astronaut, settings
):
    settings.MAX_CONCURRENT_DECODES, settings.DECODE_WAIT_SECONDS = 1, 0
    with decode_slot():
        response = analyze(api, encode_image(astronaut))
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["error"]["code"] == "busy"


@pytest.mark.usefixtures("stand_in_emotion_model")
def test_too_many_analyses_are_429_with_retry_after(api, db, faceless, settings):
    settings.ANALYSES_PER_MINUTE = 1
    data = encode_image(faceless)
    assert analyze(api, data).status_code == 200
    response = analyze(api, data)
    assert response.status_code == 429
    assert response.json()["error"]["message"] == throttle.THROTTLED_MESSAGE
    # One analysis a minute: the next is a minute away (give or take the test).
    assert 55 <= int(response["Retry-After"]) <= 60


def test_analyze_is_post_only(api, db):
    response = api.get(reverse("recommender:api-analyze"))
    assert response.status_code == 405 and response["Allow"] == "POST"


def songs(api, **params):
    return api.get(reverse("recommender:api-songs"), params)


def test_songs_of_a_mood_without_the_excluded(api, make_songs):
    calm = make_songs("calm", 5, cover_url="https://i.scdn.co/image/x")
    make_songs("sad", 2)
    excluded = [calm[0].pk, calm[1].pk]
    response = songs(api, mood="calm", exclude=",".join(map(str, excluded)), limit=10)
    assert response.status_code == 200
    body = response.json()
    assert body["mood"] == "calm" and body["pool_size"] == 5
    assert {song["id"] for song in body["songs"]} == {s.pk for s in calm[2:]}
    song = body["songs"][0]
    assert set(song) == {"id", "name", "artists", "album", "cover", "spotify_url"}
    assert song["spotify_url"].startswith("https://open.spotify.com/track/")
    assert song["cover"] == "https://i.scdn.co/image/x"
    assert len(songs(api, mood="calm", limit=2).json()["songs"]) == 2


@pytest.mark.parametrize(
    "params, code",
    [
        ({"mood": "grumpy"}, "bad_mood"),
        ({}, "bad_mood"),
        ({"mood": "calm", "limit": "lots"}, "bad_number"),
        ({"mood": "calm", "exclude": "1,x"}, "bad_number"),
        ({"mood": "calm", "limit": "0"}, "bad_limit"),
        ({"mood": "calm", "limit": "51"}, "bad_limit"),
        ({"mood": "calm", "exclude": ",".join(["1"] * 1001)}, "bad_exclude"),
    ],
)
def test_bad_song_queries_are_400(api, db, params, code):
    response = songs(api, **params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_songs_answers_other_methods_with_the_json_405(client, db):
    for method in ("post", "put", "delete"):
        response = getattr(client, method)(reverse("recommender:api-songs"))
        assert response.status_code == 405 and response["Allow"] == "GET"
        assert response.json()["error"]["code"] == "method_not_allowed"


def test_songs_post_with_csrf_checks_on_is_still_the_json_405(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("recommender:api-songs"))
    assert response.status_code == 405
    assert response.json()["error"]["status"] == 405


@pytest.mark.usefixtures("stand_in_emotion_model")
def test_analyze_lifts_the_mood_when_asked_and_its_page_shows_the_same_songs(
    api, all_moods, monkeypatch, settings
):
    settings.SONGS_PER_PAGE = 2
    monkeypatch.setattr(
        "faces.services.analyze_photo", lambda photo: [face("sad", 0.9)]
    )
    url = reverse("recommender:api-analyze") + "?music=lift"
    photo = SimpleUploadedFile("p.png", encode_image(_gray()))
    body = api.post(url, {"image": photo}).json()
    assert body["mood"] == "happy" and body["music"] == "lift"
    assert body["result_url"].endswith("?music=lift")
    page = Client().get(body["result_url"])
    assert [s.pk for s in page.context["page"].songs] == [
        s["id"] for s in body["songs"]
    ]


def test_analyze_refuses_an_unknown_music_direction(api, db):
    response = api.post(reverse("recommender:api-analyze") + "?music=sideways")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_music"
