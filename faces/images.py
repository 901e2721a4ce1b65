"""Decoding uploaded photos, with messages a visitor can act on.

decode_photo() is the one gate between uploaded bytes and the face pipeline: it
checks the byte size, reads only the header to check the pixel count (so a
decompression bomb never allocates its pixels), verifies the file, and decodes
it into the smallest form the analysis needs: upright grayscale, reduced as far
as the caller allows. A JPEG is reduced inside its decoder (1/2, 1/4 or 1/8
scale, straight to gray: a 1024 px photo decodes to 512 px gray in ~2.5 ms);
other formats are decoded at full size once and reduced right away. At most
settings.MAX_CONCURRENT_DECODES decodes run at once in a process, which bounds
the memory a burst of big uploads can take.
"""

import contextlib
import ctypes
import ctypes.util
import io
import logging
import math
import threading
from dataclasses import dataclass

import cv2
import numpy as np
from django.conf import settings
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

# The formats browsers and phones produce that Pillow decodes without plugins.
# (iPhone HEIC photos are refused: browsers convert them to JPEG on upload.)
FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")
# Modes Pillow converts to gray faithfully; others (32-bit int/float, ...) are refused.
CONVERTIBLE_MODES = {"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX"}
CONVERTIBLE_MODES |= {"CMYK", "YCbCr", "LAB", "HSV", "I;16", "I;16B", "I;16L"}
TRANSPARENT_MODES = {"LA", "La", "PA", "RGBA", "RGBa"}
# EXIF orientation -> the transpose that makes the photo upright (as ImageOps does).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# The orientations whose transpose turns the photo a quarter (swaps its sides).
QUARTER_TURNS = {5, 6, 7, 8}
# After a decode that held this many bytes of pixels, freed memory is handed
# back to the OS: glibc keeps big freed blocks in its heap otherwise (measured:
# eight 40 MP PNGs at once left gunicorn workers ~1 GB larger for good).
TRIM_AFTER_BYTES = 16 * 1024 * 1024
# Formats decoded at full size before they are reduced get lower pixel limits
# than settings.MAX_IMAGE_PIXELS (JPEGs are reduced inside their decoder), so
# that the worst upload costs <= 150 MB above idle (benchmarks/upload_memory.py:
# a 40 MP RGBA PNG peaked at +200 MB, an 8 MP WebP at +228 MB).
FULL_DECODE_PIXEL_LIMITS = {
    "PNG": 24_000_000,
    "BMP": 24_000_000,
    "GIF": 24_000_000,
    "WEBP": 5_000_000,
}
BAND_BYTES = 4 * 1024 * 1024  # how much of a big image is reduced at a time

EMPTY_MESSAGE = "The file is empty. Please choose a photo."
NOT_AN_IMAGE_MESSAGE = (
    "This file isn't an image we can read. Please upload a JPEG, PNG, WebP, BMP "
    "or GIF photo."
)
CORRUPT_MESSAGE = (
    "This image is damaged or incomplete (maybe the upload was cut off). "
    "Please try the photo again or pick another one."
)
BUSY_MESSAGE = (
    "The site is busy analysing other photos right now. "
    "Please try again in a few seconds."
)


class InvalidImage(ValueError):
    """Uploaded bytes that are not a photo we can analyse; str() is for the user."""

    def __init__(self, message, code="invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class Busy(RuntimeError):
    """Too many photos are being decoded in this process; try again shortly.

    Views answer it with 503 and a Retry-After header; str() is for the user.
    """

    def __init__(self, message=BUSY_MESSAGE):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, eq=False)
class Photo:
    """An upload decoded for analysis.

    gray: uint8 (h, w) upright grayscale pixels, the photo at `scale`.
    size: (width, height) of the upright photo as uploaded; face boxes are
    reported in these pixels.
    preview: uint8 RGB, upright, longest side <= the preview_side asked for
    (None when none was asked for).
    """

    gray: np.ndarray
    size: tuple[int, int]
    preview: np.ndarray | None = None

    @property
    def scale(self):
        """gray's pixels per photo pixel (1.0, or less for a reduced decode)."""
        return self.gray.shape[1] / self.size[0]


def human_size(num_bytes):
    """10485760 -> '10 MB', 1536 -> '1.5 KB' (the units the limits are set in)."""
    if num_bytes < 1024:
        return f"{num_bytes} bytes"
    value, unit = num_bytes / 1024, "KB"
    for bigger_unit in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger_unit
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def too_large_message(limit=None):
    limit = settings.MAX_UPLOAD_BYTES if limit is None else limit
    return (
        f"The photo is larger than {human_size(limit)}. "
        "Please upload a smaller version of it."
    )


def check_byte_size(num_bytes):
    if num_bytes == 0:
        raise InvalidImage(EMPTY_MESSAGE, code="empty")
    if num_bytes > settings.MAX_UPLOAD_BYTES:
        raise InvalidImage(too_large_message(), code="too_large")


def check_pixel_count(width, height, format=None):
    limit = min(
        settings.MAX_IMAGE_PIXELS,
        FULL_DECODE_PIXEL_LIMITS.get(format, settings.MAX_IMAGE_PIXELS),
    )
    if width * height > limit:
        raise InvalidImage(
            f"The photo is too big: {width} × {height} pixels is "
            f"{width * height / 1e6:.3g} megapixels, and the limit is "
            f"{limit / 1e6:.3g} megapixels. Please upload a smaller version of it.",
            code="too_many_pixels",
        )


def decode_photo(data, *, min_scale=1.0, preview_side=None):
    """Uploaded bytes -> Photo; else InvalidImage (or Busy when overloaded).

    min_scale: the smallest scale of the photo the caller can work with, a
    number or a function of the upright (width, height). The gray pixels come
    at that scale or somewhat above it (a JPEG decoder reduces by 1/2, 1/4 or
    1/8 only; other formats by whole factors), never below it.
    preview_side: also return an RGB preview at most this long (for the page).
    """
    return _decode_upload(data, min_scale, preview_side, colour=bool(preview_side))


def _decode_upload(data, min_scale, preview_side, colour):
    check_byte_size(len(data))
    with decode_slot():
        image = _open_verified(data)
        try:
            return _decode(image, min_scale, preview_side, colour)
        except (InvalidImage, Busy):
            raise
        except Image.DecompressionBombError:
            raise _bomb_error() from None
        except Exception as error:
            # Pillow's decoders signal damaged data with many exception types
            # (OSError "image file is truncated", SyntaxError, struct.error,
            # ValueError...); every one of them means the same to the visitor.
            raise InvalidImage(CORRUPT_MESSAGE, code="corrupt") from error
        finally:
            image.close()
            if image.width * image.height * 4 >= TRIM_AFTER_BYTES:
                release_freed_memory()


def decode_image(data, *, max_side=None):
    """Uploaded bytes -> uint8 (H, W, 3) RGB pixels, upright; else InvalidImage.

    With max_side, the pixels may come back smaller, though never below
    max_side on their longest side (see decode_photo).
    """
    min_scale = (lambda w, h: max_side / max(w, h)) if max_side else 1.0
    return _decode_upload(data, min_scale, None, colour=True).preview


def _decode(image, min_scale, preview_side, colour):
    orientation = _orientation(image)
    width, height = image.size
    if orientation in (5, 6, 7, 8):  # stored sideways
        width, height = height, width
    scale = min_scale(width, height) if callable(min_scale) else min_scale
    scale = min(1.0, max(scale, 1.0 / max(width, height)))
    if preview_side:
        scale = max(scale, min(1.0, preview_side / max(width, height)))
    target = (math.ceil(image.width * scale), math.ceil(image.height * scale))
    if image.format == "JPEG":
        # The decoder skips detail it need not compute: 1/2, 1/4 or 1/8 scale,
        # straight to gray. draft() keeps both sides at least the size asked.
        image.draft("RGB" if colour else "L", target)
    image.load()
    image = _reduce(image, target)
    image = _flatten(image, colour)
    if orientation in UPRIGHT:
        image = image.transpose(UPRIGHT[orientation])
    pixels = np.asarray(image)
    if not colour:
        return Photo(gray=pixels, size=(width, height))
    gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    preview = pixels
    if preview_side and preview_side < max(pixels.shape[:2]):
        ratio = preview_side / max(pixels.shape[:2])
        preview_size = (
            max(1, round(pixels.shape[1] * ratio)),
            max(1, round(pixels.shape[0] * ratio)),
        )
        preview = cv2.resize(pixels, preview_size, interpolation=cv2.INTER_AREA)
    return Photo(gray=gray, size=(width, height), preview=preview)


def _reduce(image, target):
    """Shrinks by the largest whole factor that keeps both sides >= target's."""
    factor = min(image.width // target[0], image.height // target[1])
    if factor < 2:
        return image
    if image.mode in ("P", "1") or image.mode.startswith("I;16"):
        # reduce() needs a mode it can average; these are 1-2 bytes a pixel.
        if image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        else:
            image = _flatten(image, colour=False)
    # In bands: reduce() copies a transparent image whole to premultiply its
    # alpha first (measured: +160 MB for a 40 MP RGBA PNG); a band's copy is small.
    rows = factor * max(1, BAND_BYTES // (image.width * len(image.getbands()) * factor))
    reduced = Image.new(image.mode, (image.width // factor, image.height // factor))
    for top in range(0, reduced.height * factor, rows):
        bottom = min(top + rows, reduced.height * factor)
        band = image.crop((0, top, reduced.width * factor, bottom)).reduce(factor)
        reduced.paste(band, (0, top // factor))
    return reduced


def _flatten(image, colour):
    """Any accepted mode -> "L" (or "RGB"); transparent areas white, as browsers do."""
    target = "RGB" if colour else "L"
    if image.mode.startswith("I;16"):
        # 16-bit grayscale: Pillow's own conversion clips instead of scaling.
        pixels = np.asarray(image, dtype=np.uint16) >> 8
        image = Image.fromarray(pixels.astype(np.uint8))
    if image.mode in TRANSPARENT_MODES or (
        image.mode == "P" and "transparency" in image.info
    ):
        with_alpha = image.convert("RGBA" if colour else "LA")
        background = Image.new(
            with_alpha.mode, image.size, (255,) * len(with_alpha.mode)
        )
        if colour:
            return Image.alpha_composite(background, with_alpha).convert("RGB")
        return Image.composite(
            with_alpha, background, with_alpha.getchannel("A")
        ).convert("L")
    return image if image.mode == target else image.convert(target)


def upright_size(data):
    """(width, height) of the photo as it will be read (EXIF orientation
    applied), from its header alone; None for bytes that are no image we open."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            if _orientation(image) in QUARTER_TURNS:
                return height, width
            return width, height
    except Exception:
        return None


def _orientation(image):
    try:
        return image.getexif().get(0x0112, 1)
    except Exception:  # malformed EXIF: the pixels are still fine, keep them as stored
        logger.warning("Ignoring unreadable EXIF orientation", exc_info=True)
        return 1


def _open_verified(data):
    """Opens the image twice: verify() checks the file, and then is unusable."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            # Image.open reads only the header: the pixels are not decoded yet.
            check_pixel_count(*image.size, image.format)
            if image.mode not in CONVERTIBLE_MODES:
                raise InvalidImage(
                    f"This image's colour format ({image.mode}) isn't supported. "
                    "Please save it as an ordinary JPEG or PNG photo.",
                    code="unsupported_mode",
                )
            image.verify()
        # An animated GIF or WebP opens on its first frame, which is the one we use.
        return Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise InvalidImage(NOT_AN_IMAGE_MESSAGE, code="not_an_image") from None
    except InvalidImage:
        raise
    except Image.DecompressionBombError:
        raise _bomb_error() from None
    except Exception as error:
        raise InvalidImage(CORRUPT_MESSAGE, code="corrupt") from error


def _bomb_error():
    # Past twice Pillow's own limit (~179 MP) open() refuses before we can
    # read the size. Below that, Pillow only warns (from ~89 MP), and our
    # lower MAX_IMAGE_PIXELS check has refused the image by then.
    return InvalidImage(
        f"The photo has far too many pixels (the limit is "
        f"{settings.MAX_IMAGE_PIXELS / 1e6:.3g} megapixels).",
        code="too_many_pixels",
    )


# --- how many decodes at once, and giving memory back -----------------------

_slots = None  # (size, BoundedSemaphore), made on first use from the settings
_slots_lock = threading.Lock()


@contextlib.contextmanager
def decode_slot():
    """Holds one of the process's settings.MAX_CONCURRENT_DECODES decode slots.

    Waits up to settings.DECODE_WAIT_SECONDS for one to free up, then raises Busy.
    """
    global _slots
    size = settings.MAX_CONCURRENT_DECODES
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        semaphore = _slots[1]
    if not semaphore.acquire(timeout=settings.DECODE_WAIT_SECONDS):
        logger.warning("No free decode slot: answering busy")
        raise Busy()
    try:
        yield
    finally:
        semaphore.release()


# glibc's mallopt() parameter for the size from which blocks get pages of their
# own (malloc.h's M_MMAP_THRESHOLD).
M_MMAP_THRESHOLD = -3
# Blocks of 4 MiB and more (decoded photos: Pillow allocates big images in
# blocks of up to 16 MB) are mapped for themselves and go straight back to the
# OS when freed. glibc's default raises this threshold to the largest block
# freed so far (up to 32 MB); after one big photo, the next ones come from the
# heap, and what they free mostly stays in the process (measured,
# benchmarks/upload_memory.py over HTTP: 8 worst-case uploads at once left a
# gthread worker 12-20% above its idle RSS, a sync one 5-8%; with the
# threshold fixed, 0-3%). Smaller blocks stay in the heap for reuse: at 1 MiB,
# a 4000-px photo's analysis was ~5% slower.
MMAP_THRESHOLD_BYTES = 4 << 20


def _load_libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


_libc = _load_libc()
# Not glibc (musl, macOS): neither function, and nothing to tune.
_malloc_trim = getattr(_libc, "malloc_trim", None)
_mallopt = getattr(_libc, "mallopt", None)


def return_big_blocks_to_the_os():
    """Fixes the allocator's mmap threshold (see MMAP_THRESHOLD_BYTES).

    Called once at start-up (faces.apps); True where the allocator took it.
    """
    if _mallopt is None:
        return False
    return bool(_mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def release_freed_memory():
    """Returns memory freed by a big decode to the OS (glibc's malloc_trim)."""
    if _malloc_trim is not None:
        _malloc_trim(0)
