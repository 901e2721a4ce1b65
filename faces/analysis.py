"""From a photo to the emotion of each face in it.

decode to gray, reduced as far as the smallest face allows (faces.images) ->
detect (faces.detection) -> crop each box -> 48x48 -> classify all faces in one
batch (faces.classifier) -> boxes in the uploaded photo's pixels.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from faces.classifier import EMOTIONS, FACE_SIZE, EmotionClassifier
from faces.detection import detect_faces, min_face_side
from faces.images import TRIM_AFTER_BYTES, Photo, decode_photo, release_freed_memory

# Extra border around the detected box, as a fraction of its side. 0: the
# cascade's box already frames a face like FER2013's crops do (measured on the
# PublicTest faces: FER crop side / detected box side has median 1.02, box
# centres agree to 0.5% of the side), and the model was trained on those crops.
CROP_MARGIN = 0.0


@dataclass(frozen=True)
class FaceResult:
    """One face found in a photo: where it is and what it seems to feel."""

    box: tuple[int, int, int, int]  # (x, y, w, h) in the upright photo's pixels
    probabilities: dict[str, float]  # every emotion in EMOTIONS order -> p
    emotion: str  # the most likely emotion

    @property
    def confidence(self):
        return self.probabilities[self.emotion]

    def crop(self, image):
        """This face's part of the image (an array indexed [y, x, ...])."""
        x, y, w, h = self.box
        return image[y : y + h, x : x + w]


def analyze_image(image_bytes, *, classifier=None):
    """Photo bytes -> a FaceResult per face, largest first; [] when no face.

    Raises faces.images.InvalidImage for bytes that are not a usable photo,
    faces.images.Busy when the process is decoding too many photos already,
    and faces.classifier.ModelNotAvailable when the emotion model is missing.
    """
    photo = decode_photo(image_bytes, min_scale=working_scale)
    return analyze_photo(photo, classifier=classifier)


def working_scale(width, height):
    """The least a width x height photo may be reduced to: its smallest face
    looked for still spans the classifier's 48 px (or the photo is full size)."""
    return min(1.0, FACE_SIZE / min_face_side(width, height))


def analyze_rgb(rgb, *, classifier=None):
    """uint8 (H, W, 3) upright RGB pixels -> FaceResults, largest face first."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    photo = Photo(gray=gray, size=(gray.shape[1], gray.shape[0]))
    return analyze_photo(photo, classifier=classifier)


def analyze_photo(photo, *, classifier=None):
    """faces.images.Photo -> FaceResults, largest first (boxes in photo.size)."""
    scale = photo.scale
    min_face = min_face_side(*photo.size) * scale
    boxes = detect_faces(photo.gray, min_face=min_face)
    if photo.size[0] * photo.size[1] * 4 >= TRIM_AFTER_BYTES:
        # A big photo's decode and scans leave freed memory in glibc's heap
        # (measured: ~20 MB more stays after a 40 MP JPEG without this).
        release_freed_memory()
    if not boxes:
        return []
    classifier = classifier or EmotionClassifier()
    faces = np.stack([face_crop(photo.gray, box) for box in boxes])
    probabilities = classifier.predict_proba(faces)
    return _results(boxes, probabilities, scale, photo.size)


def _results(boxes, probabilities, scale, size):
    return [
        FaceResult(
            box=_to_photo(box, scale, size),
            probabilities={
                emotion: float(p) for emotion, p in zip(EMOTIONS, row, strict=True)
            },
            emotion=EMOTIONS[int(np.argmax(row))],
        )
        for box, row in zip(boxes, probabilities, strict=True)
    ]


def _to_photo(box, scale, size):
    """A box in the (maybe reduced) gray pixels -> the uploaded photo's pixels."""
    if scale == 1.0:
        return tuple(int(value) for value in box)
    x, y, w, h = (value / scale for value in box)
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(size[0], round(x + w)), min(size[1], round(y + h))
    return (x0, y0, x1 - x0, y1 - y0)


def face_crop(gray, box, margin=CROP_MARGIN):
    """The box (widened by margin, edges replicated) as a uint8 48x48 face."""
    x, y, w, h = box
    pad_x, pad_y = round(w * margin), round(h * margin)
    x0, y0, x1, y1 = x - pad_x, y - pad_y, x + w + pad_x, y + h + pad_y
    height, width = gray.shape
    region = gray[max(0, y0) : min(height, y1), max(0, x0) : min(width, x1)]
    if (x0, y0, x1, y1) != (max(0, x0), max(0, y0), min(width, x1), min(height, y1)):
        # Part of the widened box lies outside the photo: repeat the edge pixels
        # rather than squash the face into a non-square crop.
        region = cv2.copyMakeBorder(
            region,
            max(0, -y0),
            max(0, y1 - height),
            max(0, -x0),
            max(0, x1 - width),
            cv2.BORDER_REPLICATE,
        )
    # INTER_AREA: the right filter for shrinking (photos' faces are > 48 px).
    interpolation = cv2.INTER_AREA if region.shape[0] >= FACE_SIZE else cv2.INTER_LINEAR
    return cv2.resize(region, (FACE_SIZE, FACE_SIZE), interpolation=interpolation)
