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


def forwarded(remote, chain):
    request = request_from(remote)
    request.META["HTTP_X_FORWARDED_FOR"] = chain
    return request


def test_x_forwarded_for_is_ignored_unless_a_trusted_proxy_sent_it(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(forwarded("10.0.0.5", "203.0.113.7")) == "10.0.0.5"
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    # A client that reaches the server directly can't pick its address.
    assert client_address(forwarded("198.51.100.2", "203.0.113.7")) == "198.51.100.2"


def test_behind_a_trusted_proxy_the_client_is_the_address_it_added(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5", "10.0.1.0/24"]
    assert client_address(forwarded("10.0.0.5", "203.0.113.7")) == "203.0.113.7"
    # What the client wrote itself stands left of what the proxies added.
    assert client_address(forwarded("10.0.0.5", "1.2.3.4, 203.0.113.7")) == (
        "203.0.113.7"
    )
    # Two trusted proxies in a row: the first untrusted hop from the right.
    chain = "1.2.3.4, 203.0.113.7, 10.0.1.9"
    assert client_address(forwarded("10.0.0.5", chain)) == "203.0.113.7"
    assert client_ip(forwarded("10.0.0.5", chain)) == "203.0.113.7"


def test_a_mangled_or_missing_header_leaves_the_proxys_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(forwarded("10.0.0.5", "")) == "10.0.0.5"
    assert client_address(forwarded("10.0.0.5", "1.2.3.4, not-an-ip")) == "10.0.0.5"
