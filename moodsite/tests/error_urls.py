"""The site's URLs plus views that fail in each way, for test_errors.py."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import IntegrityError, OperationalError
from django.urls import path

from moodsite.urls import handler404, handler500  # noqa: F401
from moodsite.urls import urlpatterns as site_urlpatterns


def failing_with(error):
    def view(request):
        raise error

    return view


urlpatterns = [
    path("boom/", failing_with(RuntimeError("a bug"))),
    path("forbidden/", failing_with(PermissionDenied())),
    path("suspicious/", failing_with(SuspiciousOperation("odd"))),
    path("duplicate/", failing_with(IntegrityError("a bug in a write"))),
    path("down/", failing_with(OperationalError("server closed the connection"))),
    path("api/v1/down/", failing_with(OperationalError("connection refused"))),
    path("api/v1/boom/", failing_with(RuntimeError("a bug"))),
    # After these: the site's own end with the catch-all for /api/.
    *site_urlpatterns,
]
