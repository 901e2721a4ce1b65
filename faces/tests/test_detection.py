import cv2
import numpy as np
import pytest
import skimage.data

from faces import detection
from faces.detection import detect_faces
from faces.tests.conftest import ASTRONAUT_FACE_CENTRE


def gray(rgb):
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def centre(box):
    x, y, w, h = box
    return (x + w / 2, y + h / 2)


def test_astronaut_has_one_face_where_it_is(astronaut):
    (box,) = detect_faces(gray(astronaut))
    cx, cy = centre(box)
    assert abs(cx - ASTRONAUT_FACE_CENTRE[0]) < 20
    assert abs(cy - ASTRONAUT_FACE_CENTRE[1]) < 20
    assert 70 <= box[2] <= 130 and box[2] == box[3]
    assert all(isinstance(value, int) for value in box)


def test_large_photo_is_downscaled_and_boxes_mapped_back(astronaut):
    big = cv2.resize(gray(astronaut), (2560, 2560), interpolation=cv2.INTER_CUBIC)
    (box,) = detect_faces(big)
    cx, cy = centre(box)
    assert abs(cx - ASTRONAUT_FACE_CENTRE[0] * 5) < 100
    assert abs(cy - ASTRONAUT_FACE_CENTRE[1] * 5) < 100
    assert 350 <= box[2] <= 650


def test_boxes_come_largest_first(two_faces):
    boxes = detect_faces(gray(two_faces))
    assert len(boxes) == 2
    assert boxes[0][2] * boxes[0][3] > boxes[1][2] * boxes[1][3]
    assert boxes[0][0] > boxes[1][0]  # the large head is the one on the right


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(lambda: skimage.data.camera(), id="cameraman-not-frontal"),
        pytest.param(lambda: gray(skimage.data.coffee()), id="coffee"),
        pytest.param(lambda: gray(skimage.data.chelsea()), id="cat"),
        pytest.param(lambda: skimage.data.coins(), id="coins"),
        pytest.param(lambda: np.full((200, 300), 128, np.uint8), id="flat"),
    ],
)
def test_no_face_in_faceless_images(image):
    assert detect_faces(image()) == []


def test_gradient_with_noise_has_no_face(faceless):
    assert detect_faces(gray(faceless)) == []


def test_tiny_image_has_no_face():
    assert detect_faces(np.zeros((5, 5), np.uint8)) == []


@pytest.mark.parametrize(
    "bad",
    [np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10), np.float32), [[0, 1]]],
    ids=["color", "float", "list"],
)
def test_rejects_anything_but_2d_uint8(bad):
    with pytest.raises(ValueError, match="2-D uint8"):
        detect_faces(bad)


def test_cascades_are_loaded_once(monkeypatch):
    monkeypatch.setattr(detection, "_cascades", None)
    loads = []
    real = detection.cv2.CascadeClassifier
    monkeypatch.setattr(
        detection.cv2,
        "CascadeClassifier",
        lambda path: loads.append(path) or real(path),
    )
    first = detection.get_cascade()
    assert detection.get_cascade() is first
    assert len(loads) == 2
    assert loads[0].endswith(detection.CASCADE_FILE)
    assert loads[1].endswith(detection.EYE_CASCADE_FILE)


@pytest.mark.parametrize("side", [307, 160])
def test_one_size_per_call_finds_what_one_call_for_all_sizes_does(astronaut, side):
    """_scan calls the cascade once per window size (to bound the buffers
    OpenCV keeps); the raw candidates are those of a single call over 20-39 px."""
    level = cv2.resize(gray(astronaut), (side, side), interpolation=cv2.INTER_AREA)
    cascade = detection.get_cascade()
    at_once = cascade.detectMultiScale(
        level,
        scaleFactor=detection.SCALE_FACTOR,
        minNeighbors=0,
        minSize=(detection.WINDOW, detection.WINDOW),
        maxSize=(2 * detection.WINDOW - 1, 2 * detection.WINDOW - 1),
    )
    expected = sorted(tuple(int(v) for v in box) for box in at_once)
    assert len(expected) > 0
    assert sorted(tuple(box) for box in detection._scan(cascade, level, 1)) == expected
