"""A view's database outage becomes a 503 page (or JSON under /api/), not a 500."""

import logging

from moodsite.database import is_outage
from moodsite.errors import songs_unavailable

logger = logging.getLogger(__name__)


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
