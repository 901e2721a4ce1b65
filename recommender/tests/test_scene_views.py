"""Photos without faces: the scene's mood, its page, its corrections, its API
answer; and the home page's "just pick a mood"."""

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from moodsite.testing import encode_image
from music.mood import MOODS
from recommender.models import Reading, SceneCorrection

pytestmark = pytest.mark.usefixtures("stand_in_scene_model")


def blue_sky():
    """No face, plainly blue: the stand-in scene model reads it as calm."""
    photo = np.zeros((300, 400, 3), np.uint8)
    photo[..., 2] = 230
    photo[..., 1] = np.linspace(60, 120, 400, dtype=np.uint8)
    return photo


def upload(client, photo):
    data = SimpleUploadedFile("sky.png", encode_image(photo), content_type="image/png")
    return client.post(reverse("recommender:home"), {"photo": data})


def test_no_face_gives_the_scenes_mood_its_songs_and_a_result_url(client, all_moods):
    response = upload(client, blue_sky())
    assert response.status_code == 303
    reading = Reading.objects.get()
    assert reading.kind == Reading.SCENE and reading.faces == []
    assert (
        set(reading.scene) == set(MOODS) and reading.scene_model_version == "tiny-scene"
    )
    assert response["Location"] == reverse("recommender:reading", args=[reading.pk])

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "No face here — the scene feels <em>calm</em>" in body
    assert body.count('<th scope="row">') == 4  # the four moods' probabilities
    songs = {song.pk for song in page.context["page"].songs}
    assert songs and songs <= {song.pk for song in all_moods["calm"]}
    assert reverse("recommender:more", args=["calm"]) in body
    # One-tap buttons for every mood, for the visitor who sent the photo.
    for mood in MOODS:
        assert f'name="mood" value="{mood}"' in body


def test_a_face_still_decides_when_there_is_one(client, all_moods, astronaut):
    response = upload(client, astronaut)
    assert response.status_code == 303
    assert Reading.objects.get().kind == Reading.FACE


def test_another_mood_is_a_correction_that_the_songs_follow_and_is_counted(
    client, all_moods
):
    upload(client, blue_sky())
    reading = Reading.objects.get()
    url = reverse("recommender:correct", args=[reading.pk])
    response = client.post(url, {"mood": "energetic"})
    assert response.status_code == 303
    page = client.get(response["Location"])
    assert page.context["mood"] == "energetic"
    assert "You chose energetic music for it instead" in page.content.decode()
    assert {song.pk for song in page.context["page"].songs} <= {
        song.pk for song in all_moods["energetic"]
    }
    counted = SceneCorrection.objects.get()
    assert (counted.predicted, counted.chosen, counted.count) == (
        "calm",
        "energetic",
        1,
    )

    # Changing it again moves the count; the model's own mood removes it.
    client.post(url, {"mood": "sad"})
    client.post(url, {"mood": "calm"})
    assert sum(SceneCorrection.objects.values_list("count", flat=True)) == 0
    reading.refresh_from_db()
    assert reading.corrections == {}


def test_a_mood_that_is_not_one_is_a_400_with_the_page(client, all_moods):
    upload(client, blue_sky())
    reading = Reading.objects.get()
    response = client.post(
        reverse("recommender:correct", args=[reading.pk]), {"mood": "tense"}
    )
    assert response.status_code == 400
    assert "Please pick one of the four moods." in response.content.decode()


def test_someone_elses_scene_is_shown_but_not_corrected(client, all_moods):
    upload(client, blue_sky())
    reading = Reading.objects.get()
    other = Client()
    page = other.get(reverse("recommender:reading", args=[reading.pk]))
    assert page.status_code == 200 and 'name="mood"' not in page.content.decode()
    response = other.post(
        reverse("recommender:correct", args=[reading.pk]), {"mood": "sad"}
    )
    assert response.status_code == 403
    assert not SceneCorrection.objects.exists()


def test_the_home_page_offers_a_mood_without_a_photo(client, all_moods):
    home = client.get(reverse("recommender:home")).content.decode()
    assert "or just pick a mood" in home
    for mood in MOODS:
        assert reverse("recommender:mood", args=[mood]) in home
    page = client.get(reverse("recommender:mood", args=["happy"]))
    assert page.status_code == 200
    assert "You picked <em>happy</em>" in page.content.decode()
    assert {song.pk for song in page.context["page"].songs} <= {
        song.pk for song in all_moods["happy"]
    }
    assert not Reading.objects.exists()  # nothing read, nothing kept
    assert client.get(reverse("recommender:mood", args=["tense"])).status_code == 404


def test_api_answers_a_faceless_photo_with_the_scene_and_songs(all_moods, settings):
    settings.SONGS_PER_PAGE = 2
    api = Client(enforce_csrf_checks=True)
    data = SimpleUploadedFile("sky.png", encode_image(blue_sky()))
    response = api.post(reverse("recommender:api-analyze"), {"image": data})
    assert response.status_code == 200
    body = response.json()
    assert body["faces"] == [] and body["mood"] == "calm"
    assert body["scene"]["mood"] == "calm"
    assert list(body["scene"]["probabilities"]) == list(MOODS)
    assert sum(body["scene"]["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert len(body["songs"]) == 2
    reading = Reading.objects.get()
    assert reading.kind == Reading.SCENE
    assert body["result_url"] == f"http://testserver/r/{reading.pk}/"


def encoded(mode, size=(80, 60), format="PNG"):
    """A faceless picture file in one of the modes uploads come in."""
    import io

    from PIL import Image

    if mode == "I;16":
        picture = Image.fromarray(np.full(size[::-1], 40000, np.uint16))
    elif mode == "RGBA":
        picture = Image.new("RGBA", size, (0, 0, 255, 0))  # fully transparent
    else:
        picture = Image.new(mode, size, (0, 0, 0, 40) if mode == "CMYK" else 90)
    buffer = io.BytesIO()
    picture.save(buffer, format)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        encode_image(np.zeros((8, 8, 3), np.uint8)),
        encode_image(np.full((40, 800, 3), 200, np.uint8)),
        encode_image(np.full((60, 80), 30, np.uint8)),
        encoded("I;16"),
        encoded("CMYK", format="JPEG"),
        encoded("RGBA"),
    ],
    ids=["8x8", "20:1 panorama", "greyscale", "16-bit", "CMYK", "transparent"],
)
def test_odd_faceless_photos_get_a_scene_reading(client, all_moods, data):
    photo = SimpleUploadedFile("odd", data, content_type="image/png")
    response = client.post(reverse("recommender:home"), {"photo": photo})
    assert response.status_code == 303
    reading = Reading.objects.get()
    assert reading.kind == Reading.SCENE
    assert client.get(response["Location"]).status_code == 200


def test_readings_are_listed_and_filtered_by_kind_in_the_admin(
    client, all_moods, django_user_model, astronaut
):
    upload(client, blue_sky())
    upload(client, astronaut)
    staff = django_user_model.objects.create_user(
        "curator", password="x", is_staff=True
    )
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    url = reverse("admin:recommender_reading_changelist")
    assert client.get(url).context["cl"].result_count == 2
    scenes = client.get(url, {"kind__exact": "scene"})
    assert scenes.context["cl"].result_count == 1
    assert "calm" in scenes.content.decode()
