import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from faces import classifier as classifier_module
from faces.classifier import EMOTIONS
from faces.images import decode_slot
from moodsite.testing import encode_image
from music.models import Song
from recommender import throttle, visit
from recommender.mapping import mood_for
from recommender.models import Reading

# The views run on the tiny stand-in model, not on the shipped weights.
pytestmark = pytest.mark.usefixtures("stand_in_emotion_model")


@pytest.fixture
def pool(make_songs):
    for mood in ("calm", "happy", "energetic", "sad"):
        make_songs(mood, 3)


def upload(client, data, name="photo.png", content_type="image/png"):
    photo = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(reverse("recommender:home"), {"photo": photo})


def test_home_shows_the_upload_form(client, db):
    response = client.get(reverse("recommender:home"))
    assert response.status_code == 200
    assert (
        b'type="file"' in response.content
        and b"multipart/form-data" in response.content
    )


def test_a_face_is_kept_as_a_reading_and_answered_with_a_303_to_its_page(
    client, pool, astronaut, settings
):
    settings.SONGS_PER_PAGE = 1
    response = upload(client, encode_image(astronaut, "JPEG"), "me.jpg", "image/jpeg")
    assert response.status_code == 303
    reading = Reading.objects.get()
    assert response["Location"] == reverse("recommender:reading", args=[reading.pk])
    assert len(reading.faces) == 1 and (reading.image_width, reading.image_height) == (
        512,
        512,
    )
    face = reading.faces[0]
    assert set(face["probabilities"]) == set(EMOTIONS) and len(face["box"]) == 4
    assert reading.emotion_model_version == "tiny-1"

    page = client.get(response["Location"])
    assert page.status_code == 200
    pick = page.context["pick"]
    assert pick.key == "1" and pick.mood == mood_for(pick.predicted)
    assert page.content.count(b"<tr>") == 7  # all seven probabilities shown
    songs = page.context["page"].songs
    assert songs and all(song.mood == pick.mood for song in songs)
    assert b"Open in Spotify" in page.content
    # The sender's own photo speaks to them.
    assert page.context["headline_prefix"] in (
        "You look",
        "Hard to tell — you look closest to",
    )
    # The browser that sent the photo may correct its reading (only it may).
    assert b"Not quite?" in page.content
    # The photo itself is neither stored nor sent back.
    assert b"data:image" not in page.content
    # The refresh button continues this visit's mood without repeats.
    more = client.get(reverse("recommender:more", args=[pick.mood]))
    assert not {s.pk for s in more.context["page"].songs} & {s.pk for s in songs}


def test_too_many_analyses_from_one_client_are_429(
    client, pool, astronaut, settings, monkeypatch
):
    settings.ANALYSES_PER_MINUTE = 2
    data = encode_image(astronaut)
    assert [upload(client, data).status_code for _ in range(3)] == [303, 303, 429]
    response = upload(client, data)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 30  # one photo every 30 s
    assert throttle.THROTTLED_MESSAGE.encode() in response.content.replace(
        b"&#x27;", b"'"
    )
    assert Reading.objects.count() == 2


def test_no_face_is_a_clear_answer_with_a_way_to_try_again(client, pool, faceless):
    response = upload(client, encode_image(faceless))
    assert response.status_code == 200
    assert b"No face found" in response.content
    assert b'type="file"' in response.content
    assert not Reading.objects.exists()


def test_empty_pool_says_how_to_fill_it(client, db, astronaut):
    response = upload(client, encode_image(astronaut))
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert b"import_songs" in response.content


def truncated_jpeg(astronaut):
    data = encode_image(astronaut, "JPEG")
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", b"empty"),
        (b"just some text, not a picture", b"isn"),
        ("truncated", b"incomplete"),
    ],
)
def test_bad_files_are_400_with_a_message_and_store_nothing(
    client, pool, astronaut, data, message, django_assert_num_queries
):
    if data == "truncated":
        data = truncated_jpeg(astronaut)
    songs_before = list(Song.objects.values_list("pk", "updated"))
    response = upload(client, data)
    assert response.status_code == 400
    assert b'class="errors"' in response.content
    assert message in response.content.lower() or message in response.content
    assert list(Song.objects.values_list("pk", "updated")) == songs_before
    assert not Reading.objects.exists()
    assert visit.PLACES_KEY not in client.session


def test_missing_file_field_is_400(client, db):
    response = client.post(reverse("recommender:home"), {})
    assert response.status_code == 400
    assert b"Please choose a photo" in response.content


def test_too_large_and_too_many_pixels_are_400(client, db, astronaut, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = upload(client, encode_image(astronaut))
    assert response.status_code == 400 and b"larger" in response.content
    settings.MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    settings.MAX_IMAGE_PIXELS = 100 * 100
    response = upload(client, encode_image(astronaut))
    assert response.status_code == 400


def test_missing_model_is_503_not_500(client, db, astronaut, settings, tmp_path):
    settings.MODELS_DIR = tmp_path
    classifier_module.clear_cache()
    response = upload(client, encode_image(astronaut))
    assert response.status_code == 503
    assert b"Reading faces is unavailable right now" in response.content
    # Where the model should be and what to run are the operator's, in the log.
    assert str(tmp_path).encode() not in response.content
    assert b"manage.py" not in response.content


@pytest.mark.parametrize("fault", ["nan", "fails"])
def test_a_model_that_fails_or_answers_nan_is_503_with_the_message(
    client, db, astronaut, caplog, settings, broken_emotion_models, fault
):
    settings.MODELS_DIR = broken_emotion_models[fault]
    classifier_module.clear_cache()
    response = upload(client, encode_image(astronaut))
    assert response.status_code == 503
    assert b"Reading faces is unavailable right now" in response.content
    assert "Emotion model unavailable" in caplog.text
    assert not Reading.objects.exists()


def test_a_process_busy_decoding_answers_503_with_retry_after(
    client, db, astronaut, settings
):
    settings.MAX_CONCURRENT_DECODES, settings.DECODE_WAIT_SECONDS = 1, 0
    with decode_slot():  # another upload is being decoded
        response = upload(client, encode_image(astronaut))
    assert response.status_code == 503 and response["Retry-After"]
    assert b"busy" in response.content and b'type="file"' in response.content
    assert not Reading.objects.exists()


def test_photo_is_not_written_anywhere(client, pool, astronaut, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    with io.BytesIO(encode_image(astronaut)) as data:
        response = upload(client, data.getvalue())
    assert response.status_code == 303
    assert list(tmp_path.iterdir()) == []
