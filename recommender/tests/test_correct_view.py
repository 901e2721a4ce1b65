from django.urls import reverse

from recommender.models import EmotionCorrection
from recommender.tests.conftest import face


def correct(client, reading, **data):
    return client.post(reverse("recommender:correct", args=[reading.pk]), data)


def test_a_correction_redirects_and_the_songs_follow_it(
    client, make_reading, all_moods
):
    reading = make_reading(face("surprise", 0.33))
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
    from django.test import Client

    reading = make_reading(face("happy"))
    strict = Client(enforce_csrf_checks=True)
    assert correct(strict, reading, choice="1", emotion="sad").status_code == 403


def test_another_browser_with_the_link_cannot_correct_it(make_reading):
    from django.test import Client

    reading = make_reading(face("happy"))
    other = Client()
    page = other.get(reverse("recommender:reading", args=[reading.pk]))
    assert page.status_code == 200
    assert b"Not quite?" not in page.content

    response = correct(other, reading, choice="1", emotion="sad")

    assert response.status_code == 403
    assert b"Only the sender can correct" in response.content
    assert not EmotionCorrection.objects.exists()
