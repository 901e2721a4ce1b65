"""Cross-cutting guards: a request body's size, and a view's database outage
(a 503 page, or JSON under /api/, not a 500)."""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from moodsite.database import is_outage
from moodsite.errors import API_PREFIX, songs_unavailable

logger = logging.getLogger(__name__)


class RequestSizeLimitMiddleware:
    """413 for a body over the limit, from its Content-Length, before it is read.

    Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) and counts files
    (DATA_UPLOAD_MAX_NUMBER_FILES), but not the bytes of the files: 99 file
    parts of 10 MB each once cost a worker 946 MB. The public site takes one
    photo, so MAX_REQUEST_BYTES is the photo limit plus room for the form;
    signed-in staff (the admin's catalogue uploads) get
    ADMIN_MAX_REQUEST_BYTES. A body without a Content-Length is not read by
    Django at all (WSGI), so it needs no check. After AuthenticationMiddleware
    (it asks who is signed in) and before any view or the CSRF check reads
    the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads a malformed length as no body
        if length > settings.MAX_REQUEST_BYTES and length > self.limit(request):
            return too_large(request, self.limit(request))
        return self.get_response(request)

    @staticmethod
    def limit(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_active and user.is_staff:
            return settings.ADMIN_MAX_REQUEST_BYTES
        return settings.MAX_REQUEST_BYTES


def too_large(request, limit):
    message = (
        f"That is more than this site accepts in one request "
        f"({filesizeformat(limit)}). Please send one photo, a smaller version "
        "of it if need be."
    )
    if request.path.startswith(API_PREFIX):
        body = {"error": {"status": 413, "code": "too_large", "message": message}}
        response = JsonResponse(body, status=413)
    else:
        response = render(request, "413.html", {"message": message}, status=413)
    # The rest of the body is never read: the connection can't be reused.
    response["Connection"] = "close"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        # A warning, not a traceback per request: the cause is outside the code.
        logger.warning("Database unavailable on %s: %s", request.path, exception)
        return songs_unavailable(request)
