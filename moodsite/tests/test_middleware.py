"""A database that is down or hangs: the site answers 503 within the timeouts.

Real connections: the PostgreSQL driver talks to a closed loopback port
(refused) or to a loopback socket that completes the TCP handshake and then
never says a word (hang). No PostgreSQL server is needed.
"""

import socket
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.db.utils import ConnectionHandler
from django.urls import reverse

from faces.analysis import FaceResult
from faces.classifier import EMOTIONS
from moodsite.database import database_settings
from moodsite.testing import encode_image
from music.mood import MOODS
from recommender.mapping import mood_for

# libpq's (and psycopg's) least connect timeout, in seconds.
CONNECT_TIMEOUT = 2


@pytest.fixture
def database_at(db):
    """database_at(port): the site's connection now goes to 127.0.0.1:port."""
    original = connections["default"]

    def use(port):
        url = f"postgres://moodsite:secret-password@127.0.0.1:{port}/moodsite"
        config = database_settings(
            url, connect_timeout=CONNECT_TIMEOUT, statement_timeout_ms=500
        )
        connections["default"] = ConnectionHandler({"default": config})["default"]

    yield use
    connections["default"].close()
    connections["default"] = original


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port():
    """A port whose connections are accepted (by the kernel) and never answered."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield server.getsockname()[1]


def more_songs(client):
    return client.get(reverse("recommender:more", args=["happy"]))


def assert_songs_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.content.decode()
    assert "songs are unavailable" in body and 'class="site-header"' in body
    assert "secret-password" not in body and "Traceback" not in body


def test_refused_connection_gives_the_503_page(client, database_at, closed_port):
    database_at(closed_port)
    assert_songs_unavailable(more_songs(client))


@pytest.mark.slow
def test_hung_database_gives_the_503_page_after_the_connect_timeout(
    client, database_at, silent_port
):
    # libpq waits at least 2 s, so this test does too. Only the lower bound is
    # checked: it shows the timeout ended the wait; a loaded machine may take
    # longer to answer, and a wait that never ends fails the test by hanging.
    database_at(silent_port)
    started = time.monotonic()
    response = more_songs(client)
    waited = time.monotonic() - started
    assert_songs_unavailable(response)
    assert waited > CONNECT_TIMEOUT - 0.5


@pytest.mark.usefixtures("stand_in_emotion_model")
def test_upload_with_the_database_down_answers_503_not_500(
    client, database_at, closed_port, astronaut
):
    database_at(closed_port)
    photo = SimpleUploadedFile("me.png", encode_image(astronaut), "image/png")
    response = client.post(reverse("recommender:home"), {"photo": photo})
    assert_songs_unavailable(response)
    # The photo was read all the same: the page says what the face shows.
    assert "You look <em>" in response.content.decode()


def group_of_two():
    """Two faces whose group blend reads differently from the largest face:
    the largest looks a little sad, the other plainly happy."""
    sad = dict.fromkeys(EMOTIONS, 0.1) | {"sad": 0.4}
    happy = dict.fromkeys(EMOTIONS, 0.01) | {"happy": 0.94}
    return [
        FaceResult(box=(0, 0, 100, 100), probabilities=sad, emotion="sad"),
        FaceResult(box=(120, 0, 90, 90), probabilities=happy, emotion="happy"),
    ]


@pytest.mark.usefixtures("stand_in_emotion_model")
@pytest.mark.parametrize("surface", ["page", "api"])
def test_a_group_photos_outage_answer_names_the_group_as_its_page_would(
    client, database_at, closed_port, astronaut, monkeypatch, surface
):
    monkeypatch.setattr("faces.services.analyze_photo", lambda photo: group_of_two())
    database_at(closed_port)
    photo = SimpleUploadedFile("us.png", encode_image(astronaut), "image/png")
    if surface == "page":
        response = client.post(reverse("recommender:home"), {"photo": photo})
        assert_songs_unavailable(response)
        assert "You look <em>happy</em>" in response.content.decode()
    else:
        response = client.post(reverse("recommender:api-analyze"), {"image": photo})
        assert response.status_code == 503
        assert response.json()["emotion"] == "happy"
        assert response.json()["mood"] == mood_for("happy") != mood_for("sad")


@pytest.mark.usefixtures("stand_in_emotion_model")
def test_api_with_the_database_down_still_gives_the_reading(
    client, database_at, closed_port, astronaut
):
    database_at(closed_port)
    photo = SimpleUploadedFile("me.png", encode_image(astronaut), "image/png")
    response = client.post(reverse("recommender:api-analyze"), {"image": photo})
    assert response.status_code == 503 and response["Retry-After"]
    body = response.json()
    assert body["error"]["code"] == "songs_unavailable"
    assert body["emotion"] in EMOTIONS and body["mood"] in MOODS


def test_other_pages_still_work_while_the_database_is_down(
    client, database_at, closed_port
):
    database_at(closed_port)
    response = client.get(reverse("recommender:home"))
    assert response.status_code == 200 and b'type="file"' in response.content


def test_once_the_database_is_known_down_its_pages_answer_at_once(
    client, database_at, silent_port, closed_circuit_breaker, monkeypatch
):
    """The circuit breaker: one request waits out the timeout, the next don't."""
    clock = [1000.0]
    monkeypatch.setattr(closed_circuit_breaker, "clock", lambda: clock[0])
    database_at(silent_port)
    first = time.monotonic()
    assert_songs_unavailable(more_songs(client))
    assert time.monotonic() - first > CONNECT_TIMEOUT - 0.5

    started = time.monotonic()
    for _ in range(5):
        assert_songs_unavailable(more_songs(client))
    assert time.monotonic() - started < 1.0  # not 5 x the connect timeout
    home = client.get(reverse("recommender:home"))
    assert home.status_code == 200

    # After a while one request tries the server again (and waits again).
    clock[0] += 11
    again = time.monotonic()
    assert_songs_unavailable(more_songs(client))
    assert time.monotonic() - again > CONNECT_TIMEOUT - 0.5


def test_a_server_that_answers_again_closes_the_breaker(closed_circuit_breaker):
    from django.db import OperationalError

    clock = [0.0]
    closed_circuit_breaker.clock = lambda: clock[0]
    with pytest.raises(OperationalError), closed_circuit_breaker.guard("db"):
        raise OperationalError("refused")
    with pytest.raises(OperationalError, match="circuit breaker"):
        with closed_circuit_breaker.guard("db"):
            pass
    clock[0] += 11
    with closed_circuit_breaker.guard("db"):
        pass  # connected
    with closed_circuit_breaker.guard("db"):
        pass  # and stays closed
