"""Decoding uploaded photos, with messages a visitor can act on.

decode_image() is the one gate between uploaded bytes and the face pipeline: it
checks the byte size, reads only the header to check the pixel count (so a
decompression bomb never allocates its pixels), then verifies and decodes the
image, applies the EXIF orientation a phone wrote, and returns RGB pixels.
"""

import io
import logging
import math

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

# The formats browsers and phones produce that Pillow decodes without plugins.
# (iPhone HEIC photos are refused: browsers convert them to JPEG on upload.)
FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")
# Modes Pillow converts to RGB faithfully; others (32-bit int/float, ...) are refused.
CONVERTIBLE_MODES = {"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX"}
CONVERTIBLE_MODES |= {"CMYK", "YCbCr", "LAB", "HSV", "I;16", "I;16B", "I;16L"}

EMPTY_MESSAGE = "The file is empty. Please choose a photo."
NOT_AN_IMAGE_MESSAGE = (
    "This file isn't an image we can read. Please upload a JPEG, PNG, WebP, BMP "
    "or GIF photo."
)
CORRUPT_MESSAGE = (
    "This image is damaged or incomplete (maybe the upload was cut off). "
    "Please try the photo again or pick another one."
)


class InvalidImage(ValueError):
    """Uploaded bytes that are not a photo we can analyse; str() is for the user."""

    def __init__(self, message, code="invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


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


def check_pixel_count(width, height):
    limit = settings.MAX_IMAGE_PIXELS
    if width * height > limit:
        raise InvalidImage(
            f"The photo is too big: {width} × {height} pixels is "
            f"{width * height / 1e6:.3g} megapixels, and the limit is "
            f"{limit / 1e6:.3g} megapixels. Please upload a smaller version of it.",
            code="too_many_pixels",
        )


def decode_image(data, *, max_side=None):
    """Uploaded bytes -> uint8 (H, W, 3) RGB pixels, upright; else InvalidImage.

    With max_side, a JPEG larger than that may come back smaller, though never
    below max_side on its longest side: its decoder can skip detail at 1/2, 1/4
    or 1/8 scale, which is several times faster (a 12 MP photo: 243 -> 79 ms,
    measured). Other formats always come back at full size.
    """
    check_byte_size(len(data))
    try:
        image = _open_verified(data)
        if max_side:
            reduce_while_decoding(image, max_side)
        image.load()
    except InvalidImage:
        raise
    except Image.DecompressionBombError:
        # Past twice Pillow's own limit (~179 MP) open() refuses before we can
        # read the size. Below that, Pillow only warns (from ~89 MP), and our
        # lower MAX_IMAGE_PIXELS check has refused the image by then.
        raise InvalidImage(
            f"The photo has far too many pixels (the limit is "
            f"{settings.MAX_IMAGE_PIXELS / 1e6:.3g} megapixels).",
            code="too_many_pixels",
        ) from None
    except Exception as error:
        # Pillow's decoders signal damaged data with many exception types
        # (OSError "image file is truncated", SyntaxError, struct.error,
        # ValueError...); every one of them means the same to the visitor.
        raise InvalidImage(CORRUPT_MESSAGE, code="corrupt") from error
    return to_rgb_array(upright(image))


def upright(image):
    """Turns the image the way its EXIF orientation says (phones store it sideways)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # malformed EXIF: the pixels are still fine, keep them as stored
        logger.warning("Ignoring unreadable EXIF orientation", exc_info=True)
        return image


def _open_verified(data):
    """Opens the image twice: verify() checks the file, and then is unusable."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            # Image.open reads only the header: the pixels are not decoded yet.
            check_pixel_count(*image.size)
            if image.mode not in CONVERTIBLE_MODES:
                raise InvalidImage(
                    f"This image's colour format ({image.mode}) isn't supported. "
                    "Please save it as an ordinary JPEG or PNG photo.",
                    code="unsupported_mode",
                )
            image.verify()
    except UnidentifiedImageError:
        raise InvalidImage(NOT_AN_IMAGE_MESSAGE, code="not_an_image") from None
    # An animated GIF or WebP opens on its first frame, which is the one we use.
    return Image.open(io.BytesIO(data), formats=FORMATS)


def reduce_while_decoding(image, max_side):
    width, height = image.size
    scale = max_side / max(width, height)
    if scale < 1:
        # draft() keeps both sides at least the requested size: ask for the
        # photo's own aspect ratio, so the longest side stays >= max_side.
        image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))


def to_rgb_array(image):
    if image.mode.startswith("I;16"):
        # 16-bit grayscale: Pillow's own conversion clips instead of scaling.
        pixels = np.asarray(image, dtype=np.uint16) >> 8
        image = Image.fromarray(pixels.astype(np.uint8))
    if image.mode in ("LA", "La", "PA", "RGBA", "RGBa") or (
        image.mode == "P" and "transparency" in image.info
    ):
        # Transparent areas become white, as a browser shows them, not black.
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)
