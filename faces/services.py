"""Reading a photo: an upload in, its faces out, or one typed error.

The one path every surface takes (the upload page, the API, the live camera):
decode in memory, detect, classify. Each surface has a small adapter that turns
a PhotoError into its answer (a page, or the JSON error shape of
moodsite.errors.api_error); nothing here knows about throttles, readings or
songs, which are the recommender's.
"""

import logging
from dataclasses import dataclass

from faces.analysis import analyze_image, analyze_photo
from faces.classifier import VISITOR_MESSAGE, ModelNotAvailable
from faces.forms import PhotoUploadForm
from faces.images import Busy, InvalidImage, Photo
from moodsite.errors import RETRY_AFTER

logger = logging.getLogger(__name__)

# The form's error codes that mean "too big to accept": 413, as HTTP says.
TOO_LARGE_CODES = {"too_large"}


class PhotoError(Exception):
    """Why a photo was not read: an HTTP status, a short code and a message for
    the visitor; retry_after (seconds) when trying again later will help;
    `form`, the bound upload form showing the error, when the form found it."""

    status = 400
    code = "invalid"
    retry_after = None

    def __init__(self, message, *, code=None, status=None, form=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.form = form


class PhotoMissing(PhotoError):
    code = "missing_image"


class PhotoRejected(PhotoError):
    """Not a photo we can read (format, size, pixels)."""


class PhotoBusy(PhotoError):
    status, code, retry_after = 503, "busy", RETRY_AFTER


class ModelMissing(PhotoError):
    status, code = 503, "model_unavailable"


@dataclass(frozen=True)
class PhotoReading:
    """A read photo: its decoded pixels (size, preview) and its faces, largest
    first (empty when there is none)."""

    photo: Photo
    faces: list


def read_photo(upload):
    """An uploaded file (or None) -> PhotoReading; raises a PhotoError."""
    form = PhotoUploadForm(data={}, files={"photo": upload} if upload else {})
    try:
        valid = form.is_valid()  # decodes the photo
    except Busy as busy:
        raise PhotoBusy(busy.message) from None
    if not valid:
        problem = form.errors.as_data()["photo"][0]
        if problem.code == "required":
            raise PhotoMissing(problem.messages[0], form=form)
        status = 413 if problem.code in TOO_LARGE_CODES else 400
        raise PhotoRejected(
            problem.messages[0],
            code=problem.code or "invalid",
            status=status,
            form=form,
        )
    photo = form.take_photo()
    return PhotoReading(photo=photo, faces=_analyze(analyze_photo, photo))


def read_frame(data):
    """A live camera frame's bytes -> its faces, largest first; a PhotoError."""
    return _analyze(analyze_image, data)


def _analyze(analyze, what):
    try:
        return analyze(what)
    except InvalidImage as invalid:
        raise PhotoRejected(invalid.message, code=invalid.code) from None
    except Busy as busy:
        raise PhotoBusy(busy.message) from None
    except ModelNotAvailable as missing:
        # The details (paths, what to run) are for the operator, not the visitor.
        logger.error("Emotion model unavailable: %s", missing)
        raise ModelMissing(VISITOR_MESSAGE) from None
