from django.test import Client
from django.urls import reverse

from faces.analysis import FaceResult
from faces.classifier import EMOTIONS
from recommender.models import EmotionCorrection
from recommender.tests.conftest import claim, face


def reading_url(reading):
    return reverse("recommender:reading", args=[reading.pk])


def correct(client, reading, **data):
    return client.post(reverse("recommender:correct", args=[reading.pk]), data)


def test_a_correction_redirects_and_the_songs_follow_it(
    client, make_reading, all_moods
):
    reading = make_reading(face("surprise", 0.33))
    claim(client, reading)
    page = client.get(reverse("recommender:reading", args=[reading.pk]))
    assert "Hard to tell" in page.content.decode() and b"Not quite?" in page.content

    response = correct(client, reading, choice="1", emotion="sad")
    assert response.status_code == 303
    assert response["Location"].endswith(f"/r/{reading.pk}/?face=1")
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "You said you feel <em>sad</em>" in body
    assert "We had read surprised (33%)" in body
    assert {song.mood for song in page.context["page"].songs} == {"sad"}
    assert list(EmotionCorrection.objects.values_list("predicted", "chosen", "count"))
    assert EmotionCorrection.objects.get().count == 1


def test_bad_corrections_are_400_with_the_message(client, make_reading):
    reading = make_reading(face("happy"))
    claim(client, reading)
    response = correct(client, reading, choice="1", emotion="bored")
    assert response.status_code == 400
    assert b"Please pick one of the emotions listed." in response.content
    response = correct(client, reading, choice="group", emotion="sad")
    assert response.status_code == 400
    assert b"That face isn" in response.content
    assert not EmotionCorrection.objects.exists()


def test_correcting_an_expired_or_unknown_reading_is_404(client, db):
    response = client.post(
        reverse("recommender:correct", args=["gone"]), {"choice": "1", "emotion": "sad"}
    )
    assert response.status_code == 404


def test_get_is_not_allowed(client, make_reading):
    reading = make_reading(face("happy"))
    assert (
        client.get(reverse("recommender:correct", args=[reading.pk])).status_code == 405
    )


def test_needs_the_csrf_token_like_every_page_form(make_reading):
    reading = make_reading(face("happy"))
    strict = Client(enforce_csrf_checks=True)
    claim(strict, reading)  # its own reading: refused for the token alone
    response = correct(strict, reading, choice="1", emotion="sad")
    assert response.status_code == 403
    assert b"Only the sender" not in response.content


def test_another_browser_with_the_link_cannot_correct_it(client, make_reading):
    reading = make_reading(face("happy"))
    claim(client, reading)
    other = Client()
    page = other.get(reverse("recommender:reading", args=[reading.pk]))
    assert page.status_code == 200
    assert b"Not quite?" not in page.content

    response = correct(other, reading, choice="1", emotion="sad")

    assert response.status_code == 403
    assert b"Only the sender can correct" in response.content
    assert not EmotionCorrection.objects.exists()


def test_a_shared_links_reader_is_told_what_they_said_not_you(
    client, make_reading, all_moods
):
    reading = make_reading(face("happy", 0.9))
    claim(client, reading)
    correct(client, reading, choice="1", emotion="sad")
    body = Client().get(reverse("recommender:reading", args=[reading.pk])).content
    assert "They said they feel <em>sad</em>" in body.decode()
    assert b"You said" not in body


def test_an_unsure_reading_offers_its_two_likeliest_emotions_in_one_tap(
    client, make_reading, all_moods
):
    probabilities = {e: 0.05 for e in EMOTIONS} | {"sad": 0.36, "happy": 0.34}
    reading = make_reading(
        FaceResult(box=(0, 0, 50, 50), probabilities=probabilities, emotion="sad")
    )
    assert b'id="unsure-form"' not in Client().get(reading_url(reading)).content
    claim(client, reading)
    body = client.get(reverse("recommender:reading", args=[reading.pk])).content
    form = body.decode().split('id="unsure-form"')[1].split("</form>")[0]
    assert 'name="emotion" value="sad"' in form
    assert 'name="emotion" value="happy"' in form
    assert form.count('name="emotion"') == 2
    # One tap is a correction like any other: the songs follow it.
    response = correct(client, reading, choice="1", emotion="happy")
    page = client.get(response["Location"])
    assert {song.mood for song in page.context["page"].songs} == {"happy"}
    assert b'id="unsure-form"' not in page.content


def test_a_sure_reading_offers_no_one_tap_choice(client, make_reading, all_moods):
    reading = make_reading(face("sad", 0.9))
    body = client.get(reverse("recommender:reading", args=[reading.pk])).content
    assert b'id="unsure-form"' not in body


def test_a_shared_links_reader_gets_no_one_tap_choice(make_reading, all_moods):
    reading = make_reading(face("surprise", 0.33))
    body = Client().get(reverse("recommender:reading", args=[reading.pk])).content
    assert b"Hard to tell" in body and b'id="unsure-form"' not in body
