from datetime import timedelta

from django.test import Client as client_class
from django.urls import reverse

from recommender.models import Reading
from recommender.tests.conftest import claim, face


def url(reading, face_key=None):
    path = reverse("recommender:reading", args=[reading.pk])
    return f"{path}?face={face_key}" if face_key else path


def test_the_reading_and_its_songs_open_anywhere_without_the_photo(
    client, make_reading, all_moods
):
    reading = make_reading(face("fear", 0.7))
    response = client_class().get(url(reading))  # never uploaded anything
    assert response.status_code == 200
    body = response.content.decode()
    # Someone else's photo: about them, not "you".
    assert "<title>They look afraid · moodsite</title>" in body
    assert "They look <em>afraid</em>" in body
    assert "fear" not in body.split("<main")[1].split("</main>")[0].replace(
        'value="fear"', ""
    )  # the model's word for it never shows
    assert {song.mood for song in response.context["page"].songs} == {"calm"}
    assert 'class="face-box"' in body and "data:image" not in body
    assert "aspect-ratio: 640 / 480" in body
    assert "The photo isn't kept" in body
    assert "Songs for a calm mood" in body


def test_the_sender_is_spoken_to_and_an_energetic_mood_has_its_article(
    client, make_reading, all_moods
):
    reading = make_reading(face("surprise", 0.9))
    claim(client, reading)
    body = client.get(url(reading)).content.decode()
    assert "You look <em>surprised</em>" in body
    assert "Your photo isn't kept" in body
    assert "Songs for an energetic mood" in body
    assert "Energetic music goes with surprise." in body  # why this mood


def test_a_result_keeps_its_first_songs_and_more_songs_moves_on(
    client, make_reading, make_songs, settings, django_user_model
):
    settings.SONGS_PER_PAGE = 2
    songs = {s.pk for s in make_songs("happy", 40)}
    reading = make_reading(face("happy"))
    first = [s.pk for s in client.get(url(reading)).context["page"].songs]
    # Reloaded, and opened from a shared link by a fresh browser: the same songs.
    assert [s.pk for s in client.get(url(reading)).context["page"].songs] == first
    other = client_class()
    assert [s.pk for s in other.get(url(reading)).context["page"].songs] == first
    # "More songs" goes on from them, without repeats.
    more = reverse("recommender:more", args=["happy"])
    seen = list(first)
    for _ in range(3):
        seen += [s.pk for s in client.get(more).context["page"].songs]
    assert len(seen) == len(set(seen)) == 8 and set(seen) <= songs
    assert Reading.objects.count() == 1


def test_two_readings_start_with_different_songs(client, make_reading, make_songs):
    make_songs("happy", 100)
    firsts = {
        tuple(
            s.pk
            for s in client.get(url(make_reading(face("happy")))).context["page"].songs
        )
        for _ in range(4)
    }
    assert len(firsts) == 4


def test_each_face_and_the_group_can_be_chosen(client, make_reading, all_moods):
    reading = make_reading(
        face("happy", 0.9, box=(0, 0, 200, 200)),
        face("fear", 0.9, box=(300, 0, 100, 100)),
    )
    viewer = client_class()  # someone the link was shared with
    default = viewer.get(url(reading))
    assert default.context["pick"].key == "group"
    body = default.content.decode()
    assert "Together they look <em>happy</em>" in body
    assert "Both faces&#x27; readings blended" in body
    for key in ("1", "2", "group"):
        assert f'href="{url(reading, key)}"' in body  # a link for each, no JS needed
    # The group has no box (the other one marks "Match my mood").
    assert body.count('aria-current="true"') == 1 + 1

    second = viewer.get(url(reading, "2"))
    assert second.context["pick"].key == "2"
    assert "Face 2 looks <em>afraid</em>" in second.content.decode()
    # Box and link (and "Match my mood").
    assert second.content.decode().count('aria-current="true"') == 2 + 1
    assert {song.mood for song in second.context["page"].songs} == {"calm"}
    # The "More songs" form (without JS) asks for the next songs of its mood.
    more = reverse("recommender:more", args=["calm"])
    assert f'action="{more}"' in second.content.decode()

    unknown = viewer.get(url(reading, "9"))
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


def test_faces_are_numbered_left_to_right(client, make_reading, all_moods):
    # The analysis gives the largest face first; here it is on the right.
    reading = make_reading(
        face("happy", 0.9, box=(400, 0, 200, 200)),
        face("fear", 0.9, box=(10, 0, 100, 100)),
    )
    assert [f["box"][0] for f in reading.faces] == [10, 400]
    body = client.get(url(reading, "1")).content.decode()
    assert "Face 1 looks <em>afraid</em>" in body
    assert "numbered left to right" in body


def test_match_or_lift_is_in_the_url_and_kept_for_the_visit(
    client, make_reading, all_moods
):
    reading = make_reading(face("sad", 0.9))
    match = client.get(url(reading))
    assert {s.mood for s in match.context["page"].songs} == {"sad"}
    body = match.content.decode()
    assert "Match my mood" in body and "Lift my mood" in body
    lift_url = f"{url(reading, '1')}&music=lift"
    assert f'href="{lift_url.replace("&", "&amp;")}"' in body

    lifted = client.get(lift_url)
    assert {s.mood for s in lifted.context["page"].songs} == {"happy"}
    assert "Happy music, to lift a sad mood." in lifted.content.decode()
    # The visit keeps the choice: the plain URL now lifts too.
    again = client.get(url(reading))
    assert {s.mood for s in again.context["page"].songs} == {"happy"}
    # A fresh browser opening the plain link gets the sender's... plain match.
    assert {s.mood for s in client_class().get(url(reading)).context["page"].songs} == {
        "sad"
    }
    back = client.get(f"{url(reading, '1')}&music=match")
    assert {s.mood for s in back.context["page"].songs} == {"sad"}


def test_a_correction_keeps_the_lifted_mood(client, make_reading, all_moods):
    reading = make_reading(face("happy", 0.9))
    claim(client, reading)
    response = client.post(
        reverse("recommender:correct", args=[reading.pk]),
        {"choice": "1", "emotion": "neutral", "music": "lift"},
    )
    assert response["Location"].endswith(f"/r/{reading.pk}/?face=1&music=lift")
    page = client.get(response["Location"])
    assert {s.mood for s in page.context["page"].songs} == {"energetic"}
