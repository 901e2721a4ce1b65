"""moodsite.clients: who a request comes from."""

from django.test import RequestFactory

from moodsite.clients import client_address, client_ip


def request_from(address):
    request = RequestFactory().get("/")
    if address is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = address
    return request


def test_budgets_key_a_client_by_its_address_or_unknown():
    assert client_address(request_from("203.0.113.7")) == "203.0.113.7"
    assert client_address(request_from("")) == "unknown"
    assert client_address(request_from(None)) == "unknown"


def test_only_a_real_address_is_stored_as_an_ip():
    assert client_ip(request_from("203.0.113.7")) == "203.0.113.7"
    assert client_ip(request_from("2001:db8::1")) == "2001:db8::1"
    # PostgreSQL's inet column refuses anything else (the sign-in log's insert
    # failed for a request made in code, which has no REMOTE_ADDR).
    assert client_ip(request_from(None)) is None
    assert client_ip(request_from("unix:/run/gunicorn.sock")) is None
