"""The detection check's photos: faces at known places, and photos with none.

Used by faces/tests/test_detection_check.py (which pins the figures) and by
benchmarks/face_benchmark.py (which prints them); the site never imports it.
Every photo is built from scikit-image's sample images (a dev requirement), so
nothing is downloaded.

- The astronaut alone at several sizes (her face box is known).
- Group pictures: her head pasted several times at one face width (40-260 px)
  on faceless backgrounds, 1024 x 768; plus mirrored and slightly rotated copies.
- Mixed sizes: her head once at a main face width and up to three times at a share
  of it, as people further back in a photo (what the detector's fine level
  may skip: faces/detection.py, BYSTANDER_SHARE).
- Faceless photos: scikit-image's other samples at their own size and enlarged.
- Faces that fill the photo, as in a selfie: FER2013's PublicTest faces (from
  ../shared/data, read at run time) upscaled on a plain canvas.
"""

import io
from dataclasses import dataclass

import cv2
import numpy as np
import skimage.data
from django.conf import settings
from PIL import Image

# The astronaut's face in skimage.data.astronaut() (512 x 512), as the cascade
# frames it at full size (checked by eye).
ASTRONAUT_FACE = (177, 66, 97, 97)
# Her head with some hair, neck and sky: rows 10-230, columns 120-330.
HEAD_BOX = (120, 10, 210, 220)
GROUP_FACE_WIDTHS = (40, 56, 80, 112, 160, 260)
GROUP_CANVAS = (1024, 768)
TILTS = (-8, 8)  # degrees, the "slightly rotated" copies
MIXED_MAIN_WIDTHS = (112, 160, 220)
# The faces further back, as a share of the main face's width: from nearly as
# big to a third (an eighth of its area).
MIXED_SHARES = (0.35, 0.45, 0.55, 0.65, 0.8)
MIXED_BACKGROUNDS = ("rocket", "brick")
FACELESS_SAMPLES = (
    "coffee",
    "chelsea",
    "rocket",
    "coins",
    "moon",
    "page",
    "hubble_deep_field",
    "text",
    "brick",
    "grass",
    "gravel",
    "colorwheel",
    "immunohistochemistry",
    "clock",
)
# More faceless samples, for the benchmark's wider count of false faces.
MORE_FACELESS_SAMPLES = (
    "camera",  # a man seen from the side: no frontal face
    "cell",
    "horse",
    "logo",
    "microaneurysms",
    "retina",
    "shepp_logan_phantom",
    "binary_blobs",
    "checkerboard",
)
BACKGROUNDS = ("rocket", "coffee", "hubble_deep_field", "brick")
IOU_MATCH = 0.3
FER2013 = settings.SHARED_DATA_DIR / "fer2013" / "fer2013.npz"
PUBLIC_TEST = 1  # FER2013's `usage` code for PublicTest
# A FER2013 face (48 px, cropped tight) upscaled to CANVAS_FACE px in the
# middle of a plain CANVAS_SIDE px photo.
CANVAS_FACE, CANVAS_SIDE = 96, 160


@dataclass
class TestPhoto:
    name: str
    rgb: np.ndarray  # uint8 (H, W, 3)
    faces: list  # the known face boxes (x, y, w, h)

    def jpeg(self, quality=90):
        buffer = io.BytesIO()
        Image.fromarray(self.rgb).save(buffer, "JPEG", quality=quality)
        return buffer.getvalue()


def rgb_sample(name):
    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.dstack([image] * 3)
    return np.ascontiguousarray(image[..., :3])


def resized(rgb, long_side):
    height, width = rgb.shape[:2]
    ratio = long_side / max(height, width)
    size = (round(width * ratio), round(height * ratio))
    shrink = ratio < 1
    return cv2.resize(
        rgb, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    )


def astronaut_photos(sides=(512, 1024, 2000)):
    photos = []
    for side in sides:
        ratio = side / 512
        box = tuple(round(value * ratio) for value in ASTRONAUT_FACE)
        photos.append(
            TestPhoto(
                f"astronaut-{side}", resized(rgb_sample("astronaut"), side), [box]
            )
        )
    return photos


def astronaut_head(face_width):
    """Her head scaled so that her face is face_width px; and the scale."""
    x, y, w, h = HEAD_BOX
    ratio = face_width / ASTRONAUT_FACE[2]
    head = cv2.resize(
        rgb_sample("astronaut")[y : y + h, x : x + w],
        (round(w * ratio), round(h * ratio)),
        interpolation=cv2.INTER_AREA if ratio < 1 else cv2.INTER_CUBIC,
    )
    return head, ratio


def _paste_head(canvas, face_width, left, top):
    """Her head pasted with its top-left corner at (left, top): its face box."""
    head, ratio = astronaut_head(face_width)
    canvas[top : top + head.shape[0], left : left + head.shape[1]] = head
    face_x = left + (ASTRONAUT_FACE[0] - HEAD_BOX[0]) * ratio
    face_y = top + (ASTRONAUT_FACE[1] - HEAD_BOX[1]) * ratio
    return (round(face_x), round(face_y), face_width, face_width)


def _background(name):
    return cv2.resize(rgb_sample(name), GROUP_CANVAS, interpolation=cv2.INTER_CUBIC)


def group_photo(face_width, background, limit=6):
    """The astronaut's head at face_width, as many times as fit (up to limit)."""
    head, _ = astronaut_head(face_width)
    canvas_w, canvas_h = GROUP_CANVAS
    canvas = _background(background)
    gap = max(8, head.shape[1] // 4)
    columns = max(1, (canvas_w - gap) // (head.shape[1] + gap))
    rows = max(1, (canvas_h - gap) // (head.shape[0] + gap))
    faces = []
    for index in range(min(limit, columns * rows)):
        row, column = divmod(index, columns)
        left = gap + column * (head.shape[1] + gap)
        top = gap + row * (head.shape[0] + gap)
        faces.append(_paste_head(canvas, face_width, left, top))
    return TestPhoto(f"group-{face_width}px-on-{background}", canvas, faces)


def mixed_group_photo(main_width, share, background):
    """Her head at main_width, then up to three times at share of it (as many
    as fit), side by side along the bottom; faces[0] is the main one."""
    canvas = _background(background)
    faces, left, gap = [], 20, 20
    for width in (main_width, *[round(main_width * share)] * 3):
        head, _ = astronaut_head(width)
        if left + head.shape[1] > GROUP_CANVAS[0]:
            break
        top = GROUP_CANVAS[1] - head.shape[0] - 10
        faces.append(_paste_head(canvas, width, left, top))
        left += head.shape[1] + gap
    return TestPhoto(f"mixed-{main_width}px-{share}-on-{background}", canvas, faces)


def mirrored(photo):
    width = photo.rgb.shape[1]
    faces = [(width - x - w, y, w, h) for x, y, w, h in photo.faces]
    return TestPhoto(
        photo.name + "-mirrored", np.ascontiguousarray(photo.rgb[:, ::-1]), faces
    )


def tilted(photo, degrees):
    height, width = photo.rgb.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    rgb = cv2.warpAffine(
        photo.rgb, turn, (width, height), borderMode=cv2.BORDER_REFLECT
    )
    faces = []
    for x, y, w, h in photo.faces:
        cx, cy = turn @ np.array([x + w / 2, y + h / 2, 1.0])
        faces.append((round(cx - w / 2), round(cy - h / 2), w, h))
    return TestPhoto(f"{photo.name}-tilted{degrees:+d}", rgb, faces)


def photos_with_faces():
    photos = astronaut_photos()
    for index, width in enumerate(GROUP_FACE_WIDTHS):
        group = group_photo(width, BACKGROUNDS[index % len(BACKGROUNDS)])
        photos += [group, mirrored(group), *(tilted(group, angle) for angle in TILTS)]
    return photos


def faceless_photos():
    photos = []
    for name in FACELESS_SAMPLES:
        rgb = rgb_sample(name)
        photos.append(TestPhoto(name, rgb, []))
        photos.append(TestPhoto(f"{name}-1024", resized(rgb, 1024), []))
    return photos


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    inter_w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    inter_h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = inter_w * inter_h
    return inter / (aw * ah + bw * bh - inter)


def score(known, found):
    """(known faces found, false faces): a known face counts as found by the
    best-overlapping detection with IoU >= IOU_MATCH, each detection used once."""
    unused = list(found)
    hits = 0
    for face in known:
        best = max(unused, key=lambda box: iou(face, box), default=None)
        if best is not None and iou(face, best) >= IOU_MATCH:
            hits += 1
            unused.remove(best)
    return hits, len(unused)


def detection_check(detect):
    """detect(TestPhoto) -> boxes; returns the totals and the photos that failed."""
    totals = {"faces": 0, "found": 0, "false_faces": 0, "photos": 0}
    failures = []
    for photo in photos_with_faces() + faceless_photos():
        hits, false = score(photo.faces, detect(photo))
        totals["photos"] += 1
        totals["faces"] += len(photo.faces)
        totals["found"] += hits
        totals["false_faces"] += false
        if hits < len(photo.faces) or false:
            failures.append((photo.name, len(photo.faces), hits, false))
    totals["recall"] = totals["found"] / totals["faces"]
    return totals, failures


def public_test_faces(every=1):
    """Every `every`-th FER2013 PublicTest face, uint8 (N, 48, 48)."""
    with np.load(FER2013) as data:
        return data["pixels"][data["usage"] == PUBLIC_TEST][::every]


def on_canvas(face):
    """A 48 x 48 face as a gray photo it fills (CANVAS_FACE of CANVAS_SIDE px)."""
    big = cv2.resize(face, (CANVAS_FACE, CANVAS_FACE), interpolation=cv2.INTER_CUBIC)
    border = (CANVAS_SIDE - CANVAS_FACE) // 2
    return cv2.copyMakeBorder(
        big, border, border, border, border, cv2.BORDER_CONSTANT, value=128
    )


def canvas_recall(detect, faces):
    """The share of faces that detect(gray) -> boxes finds on their canvas."""
    border = (CANVAS_SIDE - CANVAS_FACE) // 2
    known = (border, border, CANVAS_FACE, CANVAS_FACE)
    found = sum(score([known], detect(on_canvas(face)))[0] for face in faces)
    return found / len(faces)


def faceless_grays(names=FACELESS_SAMPLES + MORE_FACELESS_SAMPLES):
    """[(name, uint8 gray)]: each sample at its size and at 1024 px (a middle
    slice of 3-D ones, values stretched to 0-255)."""
    grays = []
    for name in names:
        image = getattr(skimage.data, name)()
        if image.ndim == 3 and image.shape[-1] in (3, 4):
            image = cv2.cvtColor(
                np.ascontiguousarray(image[..., :3]).astype(np.uint8),
                cv2.COLOR_RGB2GRAY,
            )
        elif image.ndim == 3:
            image = image[image.shape[0] // 2]
        image = image.astype(np.float64)
        spread = np.ptp(image) or 1
        gray = ((image - image.min()) / spread * 255).astype(np.uint8)
        grays += [(name, gray), (f"{name}-1024", resized(gray, 1024))]
    return grays
