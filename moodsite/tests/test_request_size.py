"""A request's body is capped as a whole and only the photo's field is kept
(moodsite.middleware.RequestSizeLimitMiddleware, faces.uploads).

The bodies are streamed to Django's WSGI handler as they are read, as a
server would pass them, so a 200 MB abuse costs the test no 200 MB of its own;
tracemalloc measures what the site keeps while it answers.
"""

import io
import sys
import tracemalloc

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test.client import RequestFactory

MB = 1024 * 1024
BOUNDARY = "----moodsite-abuse"
# The bound for the worst request, above idle.
PEAK_LIMIT = 150 * MB


class StreamedBody(io.RawIOBase):
    """A multipart body of file parts, each `size` bytes, made as it is read."""

    def __init__(self, fields, size):
        self.pieces = self._pieces(fields, size)
        self.length = sum(len(self._head(field)) + size + 2 for field in fields) + len(
            f"--{BOUNDARY}--\r\n"
        )
        self.read_so_far = 0
        self.pending = b""

    @staticmethod
    def _head(field):
        return (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{field}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()

    def _pieces(self, fields, size):
        block = b"\xff" * (64 * 1024)
        for field in fields:
            yield self._head(field)
            left = size
            while left:
                yield block[: min(left, len(block))]
                left -= min(left, len(block))
            yield b"\r\n"
        yield f"--{BOUNDARY}--\r\n".encode()

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.pending:
            self.pending = next(self.pieces, b"")
            if not self.pending:
                return 0
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        self.read_so_far += n
        return n


def post_streamed(path, fields, size):
    """(status, bytes of the body Django read, peak bytes allocated meanwhile)."""
    body = StreamedBody(fields, size)
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.length),
        REMOTE_ADDR="192.0.2.10",
        **{"wsgi.input": io.BufferedReader(body), "wsgi.errors": sys.stderr},
    )
    statuses = []
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        response = WSGIHandler()(
            environ, lambda status, headers: statuses.append(status)
        )
        b"".join(response)
        response.close()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return int(statuses[0].split()[0]), body.read_so_far, peak


@pytest.fixture(autouse=True)
def no_throttle(settings):
    settings.ANALYSES_PER_MINUTE = 0


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/analyze", "/"])
def test_twenty_parts_of_ten_mb_are_413_before_they_are_read(path):
    status, read, peak = post_streamed(path, ["image"] * 20, 10 * MB)

    assert status == 413
    assert read < MB
    assert peak < 20 * MB  # the answer itself (a first render compiles templates)


@pytest.mark.django_db
def test_a_second_file_is_400_before_it_is_kept():
    status, read, peak = post_streamed("/api/v1/analyze", ["image", "image"], 4 * MB)

    assert status == 400
    assert peak < 4 * MB + 2 * MB  # the first file, not the second


@pytest.mark.django_db
def test_a_file_in_another_field_is_not_kept():
    status, read, peak = post_streamed("/api/v1/analyze", ["other"], 9 * MB)

    assert status == 400  # no photo in "image"
    assert read > 9 * MB  # read through, as it came...
    assert peak < 2 * MB  # ...and dropped, not kept


@pytest.mark.django_db
def test_no_request_within_the_limits_keeps_more_than_the_bound(settings):
    status, read, peak = post_streamed("/api/v1/analyze", ["image"], 10 * MB)

    assert status == 400  # not an image
    assert peak < PEAK_LIMIT


def test_staff_may_send_more_than_the_public(rf, admin_user, settings):
    from moodsite.middleware import RequestSizeLimitMiddleware

    request = rf.post("/admin/", CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1))
    request.user = admin_user
    assert RequestSizeLimitMiddleware.limit(request) == settings.ADMIN_MAX_REQUEST_BYTES
