"""Error answers in the site's style: the 503 for a database outage and the 500;
under /api/ every error is JSON in the API's one shape (api_error).

Pages' 404, 400 and 403 use Django's own views with the templates in
moodsite/templates; the 500 view is ours so that an outage that escapes the
middleware (raised outside a view) still gets the 503 page, not a 500.
"""

import logging
import sys

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.csrf import csrf_failure as page_csrf_failure

from moodsite.database import is_outage

logger = logging.getLogger(__name__)

# Seconds a client is told to wait before trying again.
RETRY_AFTER = 30
API_PREFIX = "/api/"
UNAVAILABLE_MESSAGE = (
    "The songs are unavailable right now: we can't reach the song database. "
    "Please try again in a minute."
)


def is_api(request):
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX[:-1]


def api_error(status, code, message, *, retry_after=None, **extra):
    """The one JSON error shape (the API and the live camera):
    {"error": {"status", "code", "message"}, ...extra}, with Retry-After when
    waiting `retry_after` seconds will help."""
    body = {"error": {"status": status, "code": code, "message": message}} | extra
    response = JsonResponse(body, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def api_not_found(request, *args, **kwargs):
    """Any /api/ path that is not an endpoint (the last URL pattern)."""
    return api_error(404, "not_found", "No such API endpoint. See the README's API.")


def page_not_found(request, exception):
    """handler404: JSON under /api/, else the site's 404 page."""
    if is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: JSON under /api/ (whose endpoints take no cookies, so
    this means a method they don't serve), else the site's 403 page."""
    if is_api(request):
        return api_error(403, "forbidden", "This request was refused.")
    return page_csrf_failure(request, reason)


def songs_unavailable(request, *, emotion=None, mood=None):
    """503: the database is down or too slow. JSON under /api/, else a page.

    A flow that has already read the photo passes `emotion` and `mood`, so
    the visitor still sees the reading, just without songs.
    """
    if is_api(request):
        extra = {"emotion": emotion, "mood": mood} if emotion else {}
        response = api_error(503, "songs_unavailable", UNAVAILABLE_MESSAGE, **extra)
    else:
        context = {"message": UNAVAILABLE_MESSAGE, "emotion": emotion, "mood": mood}
        response = render(request, "503.html", context, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def server_error(request):
    """handler500: Django calls it while handling the exception, so we can look."""
    error = sys.exc_info()[1]
    if error is not None and is_outage(error):
        logger.warning("Database unavailable: %s", error)
        return songs_unavailable(request)
    if is_api(request):
        return api_error(500, "server_error", "Something went wrong on our side.")
    try:
        return HttpResponseServerError(loader.render_to_string("500.html"))
    except Exception:
        # The template itself failed (the error may be in what it uses).
        logger.exception("The 500 page failed to render")
        return HttpResponseServerError("<h1>Server error</h1>")
