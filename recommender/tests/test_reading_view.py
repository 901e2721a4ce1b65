from datetime import timedelta

from django.urls import reverse

from recommender.models import Reading
from recommender.tests.conftest import face


def url(reading, face_key=None):
    path = reverse("recommender:reading", args=[reading.pk])
    return f"{path}?face={face_key}" if face_key else path


def test_the_reading_and_its_songs_open_anywhere_without_the_photo(
    client, make_reading, all_moods
):
    reading = make_reading(face("fear", 0.7))
    response = client.get(url(reading))  # a client that never uploaded anything
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>You look afraid · moodsite</title>" in body
    assert "You look <em>afraid</em>" in body
    assert "fear" not in body.split("<main")[1].split("</main>")[0].replace(
        'value="fear"', ""
    )  # the model's word for it never shows
    assert {song.mood for song in response.context["page"].songs} == {"calm"}
    assert 'class="face-box"' in body and "data:image" not in body
    assert "aspect-ratio: 640 / 480" in body
    assert "Your photo isn't kept" in body


def test_reloading_brings_the_next_songs_not_a_resubmission(
    client, make_reading, make_songs, settings
):
    settings.SONGS_PER_PAGE = 2
    songs = {s.pk for s in make_songs("happy", 4)}
    reading = make_reading(face("happy"))
    first = {s.pk for s in client.get(url(reading)).context["page"].songs}
    second = {s.pk for s in client.get(url(reading)).context["page"].songs}
    assert first | second == songs and not first & second
    assert Reading.objects.count() == 1


def test_each_face_and_the_group_can_be_chosen(client, make_reading, all_moods):
    reading = make_reading(
        face("happy", 0.9, box=(0, 0, 200, 200)),
        face("fear", 0.9, box=(300, 0, 100, 100)),
    )
    default = client.get(url(reading))
    assert default.context["pick"].key == "group"
    body = default.content.decode()
    assert "Together you look <em>happy</em>" in body
    for key in ("1", "2", "group"):
        assert f'href="{url(reading, key)}"' in body  # a link for each, no JS needed
    assert body.count('aria-current="true"') == 1  # the group has no box

    second = client.get(url(reading, "2"))
    assert second.context["pick"].key == "2"
    assert "You look <em>afraid</em>" in second.content.decode()
    assert second.content.decode().count('aria-current="true"') == 2  # box and link
    assert {song.mood for song in second.context["page"].songs} == {"calm"}
    # The "More songs" form (without JS) asks for this same face again.
    assert 'name="face" value="2"' in second.content.decode()

    unknown = client.get(url(reading, "9"))
    assert unknown.status_code == 200 and unknown.context["pick"].key == "group"


def test_unknown_and_expired_readings_are_a_friendly_404_with_the_form(
    client, make_reading, settings
):
    missing = client.get(reverse("recommender:reading", args=["no-such-reading"]))
    assert missing.status_code == 404
    assert b"no longer here" in missing.content and b'type="file"' in missing.content

    reading = make_reading(face("sad"))
    settings.READING_TTL_SECONDS = 3600
    Reading.objects.filter(pk=reading.pk).update(
        created=reading.created - timedelta(seconds=3601)
    )
    expired = client.get(url(reading))
    assert expired.status_code == 404 and b"1 hour " in expired.content


def test_post_is_not_allowed(client, make_reading):
    assert client.post(url(make_reading(face("sad")))).status_code == 405
