"""Error pages: in the site's style, never Django's technical pages, never a leak."""

import json

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from moodsite.errors import csrf_failure, server_error, songs_unavailable

pytestmark = pytest.mark.urls("moodsite.tests.error_urls")

TECHNICAL_PAGE_MARKS = ("Traceback", "Django", "URLconf", "settings.py")


@pytest.fixture
def client():
    # The 500 page is what a visitor gets: don't re-raise the view's error.
    return Client(raise_request_exception=False)


def assert_site_page(response, status, text):
    body = response.content.decode()
    assert response.status_code == status
    assert 'class="site-header"' in body and text in body
    assert not any(mark in body for mark in TECHNICAL_PAGE_MARKS)


@pytest.mark.parametrize(
    "path, status, text",
    [
        ("/no/such/page/", 404, "Page not found"),
        ("/forbidden/", 403, "Not allowed"),
        ("/suspicious/", 400, "Bad request"),
        ("/boom/", 500, "Something went wrong"),
        ("/duplicate/", 500, "Something went wrong"),  # a bug, not an outage
        ("/down/", 503, "songs are unavailable"),
    ],
)
def test_each_error_has_its_page(client, db, path, status, text):
    assert_site_page(client.get(path), status, text)


def test_a_refused_csrf_token_has_its_page(db):
    client = Client(enforce_csrf_checks=True)
    assert_site_page(client.post("/", {}), 403, "Please send that again")


def test_a_disallowed_host_gets_the_400_page(client, db):
    assert_site_page(client.get("/", HTTP_HOST="evil.example"), 400, "Bad request")


def test_under_api_an_outage_is_json(client, db):
    response = client.get("/api/v1/down/")
    assert response.status_code == 503 and response["Retry-After"]
    error = json.loads(response.content)["error"]
    assert error["code"] == "songs_unavailable" and error["status"] == 503


def test_under_api_a_bug_is_a_json_500(client, db):
    response = client.get("/api/v1/boom/")
    assert (
        response.status_code == 500 and response["Content-Type"] == "application/json"
    )
    assert response.json()["error"]["code"] == "server_error"
    assert "a bug" not in response.content.decode()


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_path_is_a_json_404(client, db, settings, debug):
    settings.DEBUG = debug
    for method, path in (
        ("get", "/api/v2/nothing"),
        ("post", "/api"),
        ("delete", "/api/"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 404
        assert response.json()["error"] == {
            "status": 404,
            "code": "not_found",
            "message": "No such API endpoint. See the README's API.",
        }


def test_a_refused_csrf_token_under_api_is_json(db):
    response = csrf_failure(RequestFactory().post("/api/v1/anything"))
    assert response.status_code == 403
    assert json.loads(response.content)["error"]["code"] == "forbidden"


def test_the_unavailable_page_can_still_show_the_reading(rf):
    response = songs_unavailable(rf.get("/"), emotion="sad", mood="sad")
    body = response.content.decode()
    assert response.status_code == 503
    assert "You look <em>sad</em>" in body and "songs are unavailable" in body


def test_an_outage_outside_any_view_still_gets_the_503(db):
    request = RequestFactory().get("/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(request)  # as Django calls handler500
    assert response.status_code == 503
