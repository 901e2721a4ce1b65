"""Finding faces in a photo with OpenCV's Haar cascade.

The "alt2" frontal-face cascade, not the "default" one: on the scikit-image
sample photos "default" finds 6 faces in coins() and 1 in cell() where "alt2"
finds none, and on FER2013 PublicTest faces (upscaled to 96 px on a plain
border) "alt2" finds 75.3% against "default"'s 74.1% (minNeighbors=5).

How it is scanned, and why (the cascade's cost is nearly all in its smallest
windows, and grows with the pixels they slide over):
- The smallest face looked for is tied to the photo: MIN_FACE_PIXELS of the
  photo's own pixels, or MIN_FACE_FRACTION of its longest side if that is more.
  The image is shrunk so that this face fills the cascade's 20 px window.
- Scanning goes by octaves: each pyramid level (half the size of the one
  before) is scanned only with windows of 20 to 40 px. OpenCV's own pyramid
  slides its windows 1 px at a time once they are over twice the smallest,
  which costs 4x more per window for the big faces than this does.
- That sparser sampling gives a big face too few candidates to count (of
  FER2013's PublicTest faces on a plain canvas, 59.5% were found against
  74.6% by one detectMultiScale call). So each place the coarse levels hit
  is scanned again densely, as OpenCV would, in a small region at sizes near
  the hit's (RESCAN_MARGIN, RESCAN_RANGE): a few regions, not the image.
- The coarse levels (faces at least twice the smallest) go first. The finest
  level, which costs as much as all the others together, is then scanned only
  for faces at least BYSTANDER_SHARE of the largest face found so far (its
  windows from that size up; none when that is past its 39 px): a face under
  0.4 of the main one's width (a sixth of its area) is someone well behind
  the photo's subject. Its smallest windows cost the most (a 20 px window
  slides over the whole level, a 39 px one over a quarter of it), so beside
  a face of a fifth of the photo's side this scans under a third of the level.
  Measured on one thread (faces/detection_check.py's photos, analyze_image
  on JPEGs): the astronaut at 640 px (her face 118 px) 63.6 -> 35.9 ms, at
  512 px 44.1 -> 33.2 ms; the mixed-size photos (a face and up to three at a
  share of its width) keep every face at 0.35 of its width and more (16 of
  16; a share of 0.45 found 10 of those 16). The rule before, "skip the level
  beside a face 4x the smallest", scanned all of it beside her 71 px face (at
  this level's scale) and none of it beside a 96 px one.
- Candidates of all levels are grouped together, as detectMultiScale does.
  A group of fewer than CONFIDENT_NEIGHBORS candidates counts as a face only
  if OpenCV's eye cascade finds an eye in its upper part (a cheap look at a
  small region): faint faces count, coins and grass do not.

Measured with faces/detection_check.py's check and PublicTest faces on a canvas
(single-face photos ~5% slower, the group picture of 56 px faces ~25%: each
of its small faces gets the eye check, ~5 ms): found 107 of 111 -> 109,
PublicTest 59.5% -> 74.3%, false faces 0 -> 0 on 46 faceless photos, the
check's 28 among them (the one-call scan before the octaves: 109, 74.6%, 2).
The eye check's settings were chosen on these photos; on a tenth of FER2013's
Training faces, not used to choose them, 60.6% -> 75.1%.
"""

import threading

import cv2
import numpy as np

CASCADE_FILE = "haarcascade_frontalface_alt2.xml"
EYE_CASCADE_FILE = "haarcascade_eye_tree_eyeglasses.xml"
WINDOW = 20  # the alt2 cascade's window side, in pixels
# Faces under 40 px are too blurry for the 48x48 classifier to read, and the
# smallest windows cost the most; in big photos faces under 1/32 of the longest
# side (125 px of a 4000 px photo) are bystanders, not the subject.
MIN_FACE_PIXELS = 40
MIN_FACE_FRACTION = 1 / 32
SCALE_FACTOR = 1.1  # the window grows by this much between scans
# A face needs more than MIN_NEIGHBORS candidates that agree (grouped over all
# levels), and CONFIDENT_NEIGHBORS of them or an eye (see above).
MIN_NEIGHBORS = 2
CONFIDENT_NEIGHBORS = 10
GROUP_EPS = 0.2  # detectMultiScale's own grouping tolerance
# The dense rescan around a coarse hit of side w: the hit widened by
# RESCAN_MARGIN * w on each side, windows from w / RESCAN_RANGE to w * RESCAN_RANGE.
RESCAN_MARGIN = 0.3
RESCAN_RANGE = 1.3
# The eye check: the face's upper part scaled to EYE_CHECK_FACE px wide, eyes
# of EYE_SIZES px (a fifth to a third of a face's width).
EYE_CHECK_FACE = 100
EYE_SIZES = (18, 40)
# Beside a face of width w, the finest level looks for faces from
# BYSTANDER_SHARE * w up (see above).
BYSTANDER_SHARE = 0.4
# The smallest face is shrunk to this many pixels, not to the bare window:
# the cascade misses many faces that only just fill its window.
SMALLEST_FACE_AT = 24

_cascades = None  # (faces, eyes)
# CascadeClassifier objects are not documented as thread-safe: one call at a time.
_cascade_lock = threading.Lock()


def get_cascade():
    """The face cascade, loaded once per process."""
    return _get_cascades()[0]


def _get_cascades():
    global _cascades
    with _cascade_lock:
        if _cascades is None:
            _cascades = tuple(_load(name) for name in (CASCADE_FILE, EYE_CASCADE_FILE))
        return _cascades


def _load(name):
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if cascade.empty():
        raise RuntimeError(f"OpenCV could not load {name}")
    return cascade


def min_face_side(width, height):
    """The smallest face side looked for in a width x height photo (its pixels)."""
    return max(MIN_FACE_PIXELS, max(width, height) * MIN_FACE_FRACTION)


def detect_faces(gray, min_face=None):
    """uint8 (H, W) grayscale image -> face boxes (x, y, w, h), largest first.

    min_face: the smallest face side to look for, in gray's pixels (default:
    min_face_side of gray's own size).
    """
    if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError("detect_faces needs a 2-D uint8 grayscale array")
    height, width = gray.shape
    if min_face is None:
        min_face = min_face_side(width, height)
    scale = min(1.0, SMALLEST_FACE_AT / min_face)
    fine = gray
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        fine = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    levels = _pyramid(fine)
    cascade, eyes = _get_cascades()
    with _cascade_lock:
        coarse = [box for level in levels[1:] for box in _scan(cascade, *level)]
        coarse = _rescan_densely(cascade, fine, coarse)
        found = _group(coarse, eyes, fine)
        largest = max((box[2] for box in found), default=0)
        smallest_window = max(WINDOW, BYSTANDER_SHARE * largest)
        if smallest_window < 2 * WINDOW:
            finest = _scan(cascade, *levels[0], smallest_window=smallest_window)
            found = _group(coarse + finest, eyes, fine)
    boxes = [_to_original(box, scale, width, height) for box in found]
    return sorted(boxes, key=lambda box: (-box[2] * box[3], box[0], box[1]))


def _pyramid(image):
    """[(image, its pixels per level-0 pixel)] halving down to the window size."""
    levels = [(image, 1)]
    while min(image.shape) >= 2 * WINDOW:
        image = cv2.resize(
            image,
            (image.shape[1] // 2, image.shape[0] // 2),
            interpolation=cv2.INTER_AREA,
        )
        levels.append((image, 2 ** len(levels)))
    return levels


def _scan(cascade, image, factor, smallest_window=WINDOW):
    """Raw candidates of windows 20-39 px in image (those from smallest_window
    up), in level-0 pixels.

    One detectMultiScale call per window size, on the image resized as OpenCV
    itself would (INTER_LINEAR_EXACT): the same candidates as one call for all
    of them, but the cascade keeps the buffers of its biggest call for good,
    and one call for all the sizes holds every size's integral images at once
    (measured: 48 bytes per pixel, 28 MB kept after a 768-px level; one size
    at a time, 12 bytes per pixel).
    """
    height, width = image.shape
    candidates = []
    scale = 1.0
    while round(WINDOW * scale) < 2 * WINDOW:
        size = (round(width / scale), round(height / scale))
        if min(size) < WINDOW:
            break
        if round(WINDOW * scale) < smallest_window:
            scale *= SCALE_FACTOR
            continue
        resized = image
        if scale != 1.0:
            resized = cv2.resize(
                image,
                size,
                fx=1 / scale,
                fy=1 / scale,
                interpolation=cv2.INTER_LINEAR_EXACT,
            )
        found = cascade.detectMultiScale(
            resized,
            minNeighbors=0,  # raw candidates: they are grouped over all levels at once
            minSize=(WINDOW, WINDOW),
            maxSize=(WINDOW, WINDOW),
        )
        side = round(WINDOW * scale) * factor
        candidates += [
            [round(x * scale) * factor, round(y * scale) * factor, side, side]
            for x, y, _, _ in found
        ]
        scale *= SCALE_FACTOR
    return candidates


def _rescan_densely(cascade, image, candidates):
    """The coarse candidates, each place they hit scanned again as OpenCV
    would (1 px steps at these sizes) in a small region of `image` around it."""
    if not candidates:
        return []
    # Every place hit once or more: twice each, so single hits form a group.
    places, _ = cv2.groupRectangles(candidates * 2, 1, GROUP_EPS)
    height, width = image.shape
    rescanned = []
    for x, y, w, h in places:
        margin = int(w * RESCAN_MARGIN)
        x0, y0 = max(0, x - margin), max(0, y - margin)
        region = image[
            y0 : min(height, y + h + margin), x0 : min(width, x + w + margin)
        ]
        smallest, largest = max(WINDOW, int(w / RESCAN_RANGE)), int(w * RESCAN_RANGE)
        if min(region.shape) < smallest:
            continue
        found = cascade.detectMultiScale(
            region,
            scaleFactor=SCALE_FACTOR,
            minNeighbors=0,
            minSize=(smallest, smallest),
            maxSize=(largest, largest),
        )
        rescanned += [
            [int(a) + x0, int(b) + y0, int(c), int(d)] for a, b, c, d in found
        ]
    return rescanned


def _group(candidates, eyes, image):
    """Candidates -> faces: groups of more than MIN_NEIGHBORS, and those of
    fewer than CONFIDENT_NEIGHBORS only with an eye in them."""
    if not candidates:
        return []
    grouped, counts = cv2.groupRectangles(candidates, MIN_NEIGHBORS, GROUP_EPS)
    return [
        tuple(int(value) for value in box)
        for box, count in zip(grouped, counts, strict=True)
        if count >= CONFIDENT_NEIGHBORS or _has_an_eye(eyes, image, box)
    ]


def _has_an_eye(eyes, image, box):
    """Whether the eye cascade finds an eye in the upper part of a face box."""
    x, y, w, h = (int(value) for value in box)
    upper = image[y : y + h // 2 + h // 8, x : x + w]
    if upper.size == 0:
        return False
    ratio = EYE_CHECK_FACE / w
    upper = cv2.resize(upper, None, fx=ratio, fy=ratio, interpolation=cv2.INTER_LINEAR)
    found = eyes.detectMultiScale(
        upper,
        scaleFactor=SCALE_FACTOR,
        minNeighbors=1,
        minSize=(EYE_SIZES[0], EYE_SIZES[0]),
        maxSize=(EYE_SIZES[1], EYE_SIZES[1]),
    )
    return len(found) > 0


def _to_original(box, scale, width, height):
    """Maps a box found in the downscaled image back to the gray image's pixels."""
    x, y, w, h = (float(value) / scale for value in box)
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(width, round(x + w)), min(height, round(y + h))
    return (x0, y0, x1 - x0, y1 - y0)
