"""Live camera mode: the page posts webcam frames, the answer boxes the faces.

POST /songs/live/frame/ (multipart ``frame``: a JPEG of about 480 px; ``state``:
the JSON ``state`` of the previous answer; ``frozen``: "1" while the visitor
keeps the current songs) -> JSON::

    {"faces": [{"box": [x, y, w, h], "emotion", "feeling", "label",
                "confidence"}, ...],
     "image_size": [w, h], "mood": mood of the largest face or null,
     "music": {"mood": the mood whose songs play, "next_mood", "changes_in"},
     "state": {...}, "songs_html": the new song list (only when the music changed),
     "min_interval_ms": how long the page waits between frames}

Errors are the API's JSON shape, {"error": {"status", "code", "message"}}: 400
for a bad frame, 429 (with Retry-After) past the visitor's frame budget, 503
without the emotion model or while busy (with Retry-After). Frames are decoded
in memory and never stored.

The music follows the largest face's mood only once a new mood has held for
LIVE_MOOD_HOLD_SECONDS (settle_mood), so a passing grimace does not swap the
songs. That state travels with the page (it is echoed back in ``state``), so a
fresh page starts fresh and any worker process can answer.
"""

import json
import math
import secrets
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.signing import BadSignature
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from faces.images import InvalidImage, human_size, upright_size
from faces.services import ModelMissing, PhotoError, read_frame
from moodsite.budget import TokenBucket
from moodsite.clients import client_address
from moodsite.errors import api_error
from music.moods import MOODS
from music.spotify_account import taste_for_request
from recommender import services, throttle, visit
from recommender.api import photo_error
from recommender.mapping import DIRECTIONS, mood_for
from recommender.wording import adjective, with_article

# The page sends about 480 px frames (a JPEG of 20-60 KB); anything far bigger
# is not a live frame, and would make every analysis slow.
MAX_FRAME_BYTES = 1024 * 1024
MAX_FRAME_SIDE = 1280
VISITOR_COOKIE = "moodsite_visitor"
VISITOR_COOKIE_SALT = "moodsite.live.visitor"
VISITOR_COOKIE_MAX_AGE = 30 * 24 * 3600

NO_FRAME_MESSAGE = "No frame arrived. The live camera sends one as a JPEG in 'frame'."
TOO_BIG_MESSAGE = (
    f"This frame is too big for the live camera (at most {human_size(MAX_FRAME_BYTES)} "
    f"and {MAX_FRAME_SIDE} px a side). Please send a smaller one."
)
UNAVAILABLE_MESSAGE = (
    "Reading faces is unavailable right now, so the live camera is off. "
    "Please try again later."
)


def now():
    """The clock of the budget and the mood hold (tests replace it)."""
    return time.time()


# ---------------------------------------------------------------- frame budget


class FrameBudget(TokenBucket):
    """A token bucket per visitor (moodsite.budget, shared by every worker):
    `rate` frames a second on average, up to `burst` at once."""

    def __init__(self, *, rate, burst, clock=now, store=None):
        super().__init__("frames", rate=rate, burst=burst, clock=clock, store=store)

    @classmethod
    def from_settings(cls):
        return cls(
            rate=settings.LIVE_FRAMES_PER_SECOND,
            burst=settings.LIVE_FRAME_BURST,
            clock=now,
        )


def visitor_id(request):
    """(id, is_new): a random id in a signed cookie; no session row is made."""
    try:
        value = request.get_signed_cookie(VISITOR_COOKIE, salt=VISITOR_COOKIE_SALT)
    except (KeyError, BadSignature):
        return secrets.token_urlsafe(16), True
    return value, False


# ---------------------------------------------------------------- mood hold


@dataclass(frozen=True)
class MoodHold:
    """Which mood's songs play, and a different mood seen since `since`."""

    playing: str | None = None
    candidate: str | None = None
    since: float = 0.0

    @classmethod
    def from_json(cls, text):
        """The page's echo of the last `state`; anything unreadable starts afresh."""
        try:
            data = json.loads(text or "{}")
            hold = cls(
                playing=data.get("playing"),
                candidate=data.get("candidate"),
                since=float(data.get("since", 0.0)),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()
        if {hold.playing, hold.candidate} - {None, *MOODS} or not math.isfinite(
            hold.since
        ):
            return cls()
        return hold


def settle_mood(hold, mood, *, at, hold_seconds, frozen=False):
    """The next MoodHold after a frame whose largest face has `mood` (None: no face).

    The songs change to a mood only after it has been seen continuously (frames
    without a face do not interrupt it) for hold_seconds, and never while the
    visitor has frozen them. The first mood of a visit waits the same.
    """
    if mood is None:
        return hold
    if mood == hold.playing:
        return MoodHold(playing=hold.playing)
    if mood != hold.candidate:
        return MoodHold(playing=hold.playing, candidate=mood, since=at)
    if at - hold.since >= hold_seconds and not frozen:
        return MoodHold(playing=mood)
    return hold


def seconds_to_change(hold, *, at, hold_seconds):
    """How long until the candidate mood may take over (0: it may; None: none)."""
    if hold.candidate is None:
        return None
    return round(max(0.0, hold_seconds - (at - hold.since)), 2)


# ---------------------------------------------------------------- songs


def live_songs(request, mood):
    """The next page of songs for `mood` in this visit (the recommending service)."""
    return services.songs_for_mood(
        mood=mood, session=request.session, prefer=taste_for_request(request)
    )


# ---------------------------------------------------------------- the view


@csrf_exempt
@require_POST
def live_frame(request):
    """One webcam frame -> its faces, and the songs when the mood has settled."""
    # Before the body is read (the CSRF check reads it): an oversized body is
    # refused unread. The frame is held in memory only (faces.uploads).
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_FRAME_BYTES + 64 * 1024:
        return error(TOO_BIG_MESSAGE, 400, code="too_large")
    return _live_frame(request)


@csrf_protect
def _live_frame(request):
    visitor, new_visitor = visitor_id(request)
    budget = FrameBudget.from_settings()
    # The visitor's own budget, then the address's, which photos share: fresh
    # cookies (one a request) get no more than the address may have.
    wait = budget.take(visitor if not new_visitor else _address(request))
    if not wait:
        wait = throttle.reading_wait(request, throttle.address_budget())
    if wait:
        response = error(
            f"Too many frames: the live camera may send "
            f"{settings.LIVE_FRAMES_PER_SECOND} a second. Wait {math.ceil(wait)} s.",
            429,
            code="throttled",
            retry_after=math.ceil(wait),
        )
        return response  # no visitor cookie is made for a refused frame
    response = _answer_frame(request)
    if new_visitor:
        response.set_signed_cookie(
            VISITOR_COOKIE,
            visitor,
            salt=VISITOR_COOKIE_SALT,
            max_age=VISITOR_COOKIE_MAX_AGE,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    return response


def _answer_frame(request):
    upload = request.FILES.get("frame")
    if upload is None:
        return error(NO_FRAME_MESSAGE, 400, code="missing_frame")
    data = upload.read(MAX_FRAME_BYTES + 1)
    try:
        image_size = frame_size(data)
        faces = read_frame(data)
    except InvalidImage as invalid:
        return error(invalid.message, 400, code=invalid.code)
    except ModelMissing:
        return error(UNAVAILABLE_MESSAGE, 503, code=ModelMissing.code)
    except PhotoError as refused:
        return photo_error(refused)

    # Matched or lifted: as the page says (its Match/Lift buttons), else as the
    # visit last chose.
    if request.POST.get("music") in DIRECTIONS:
        visit.choose_direction(request.session, request.POST["music"])
    direction = visit.direction(request.session)
    mood = mood_for(faces[0].emotion, direction) if faces else None
    at = now()
    hold_seconds = settings.LIVE_MOOD_HOLD_SECONDS
    before = MoodHold.from_json(request.POST.get("state"))
    after = settle_mood(
        before,
        mood,
        at=at,
        hold_seconds=hold_seconds,
        frozen=request.POST.get("frozen") == "1",
    )
    answer = {
        "faces": [_face_json(face) for face in faces],
        "image_size": list(image_size),
        "mood": mood,
        "music": {
            "mood": after.playing,
            "next_mood": after.candidate,
            "changes_in": seconds_to_change(after, at=at, hold_seconds=hold_seconds),
            "direction": direction,
            # With their article ("an energetic"), for the page's sentences.
            "mood_words": with_article(after.playing) if after.playing else None,
            "next_mood_words": (
                with_article(after.candidate) if after.candidate else None
            ),
        },
        "state": asdict(after),
        "min_interval_ms": math.ceil(1000 / settings.LIVE_FRAMES_PER_SECOND),
    }
    if after.playing != before.playing:
        page = live_songs(request, after.playing)
        answer["songs_html"] = render_to_string(
            "recommender/_song_list.html", {"page": page}, request=request
        )
    return JsonResponse(answer)


def frame_size(data):
    """(width, height) of an upright frame, from its header alone.

    InvalidImage for a frame too big to be a live one; None for bytes that are
    no image at all (analyze_image then refuses them in its own words).
    """
    if len(data) > MAX_FRAME_BYTES:
        raise InvalidImage(TOO_BIG_MESSAGE, code="too_large")
    size = upright_size(data)
    if size is None:
        return None  # not an image: analyze_image says so in its own words
    if max(size) > MAX_FRAME_SIDE:
        raise InvalidImage(TOO_BIG_MESSAGE, code="too_many_pixels")
    return size


def _face_json(face):
    confidence = round(face.confidence, 3)
    feeling = adjective(face.emotion)
    return {
        "box": list(face.box),
        "emotion": face.emotion,
        "feeling": feeling,  # the words the page shows ("afraid", not "fear")
        "label": f"{feeling} {round(100 * face.confidence)}%",
        "confidence": confidence,
    }


def _address(request):
    # A visitor without our cookie yet (or one who drops it) is counted by address.
    return "addr:" + client_address(request)


def error(message, status, *, code="invalid", retry_after=None):
    """The API's JSON error shape (moodsite.errors.api_error)."""
    return api_error(status, code, message, retry_after=retry_after)
