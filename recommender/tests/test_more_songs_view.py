from django.contrib.sessions.models import Session
from django.urls import reverse


def more_url(mood, **params):
    url = reverse("recommender:more", args=[mood])
    return url + ("?fragment=1" if params.get("fragment") else "")


def test_refresh_brings_unseen_songs_until_the_pool_is_used_up(
    client, make_songs, settings
):
    settings.SONGS_PER_PAGE = 3
    pool = {s.name for s in make_songs("calm", 7)}
    shown = []
    for _ in range(3):
        response = client.get(more_url("calm"))
        assert response.status_code == 200
        names = [s.name for s in response.context["page"].songs]
        assert not set(names) & set(shown)
        shown += names
    assert set(shown) == pool
    response = client.get(more_url("calm"))
    assert b"starting over" in response.content


def test_fragment_is_just_the_song_list(client, make_songs):
    song = make_songs("sad", 1)[0]
    response = client.get(more_url("sad", fragment=True))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="songs"' in body
    assert song.name in body and song.spotify_url in body


def test_empty_pool_explains_how_to_fill_it(client, db):
    response = client.get(more_url("happy"))
    assert response.status_code == 200
    assert b"import_songs" in response.content and b"harvest_songs" in response.content
    assert b"More songs" not in response.content


def test_unknown_mood_is_404(client, db):
    assert client.get(more_url("grumpy")).status_code == 404


def test_post_is_not_allowed(client, db):
    assert client.post(more_url("calm")).status_code == 405


def test_a_long_visit_writes_no_session_rows_and_its_cookie_does_not_grow(
    client, make_songs, settings
):
    settings.SONGS_PER_PAGE = 3
    make_songs("sad", 40)
    sizes = []
    for _ in range(30):  # round the pool twice
        assert client.get(more_url("sad", fragment=True)).status_code == 200
        sizes.append(len(client.cookies[settings.SESSION_COOKIE_NAME].value))
    assert Session.objects.count() == 0
    assert max(sizes) - min(sizes) <= 4 and max(sizes) < 300
