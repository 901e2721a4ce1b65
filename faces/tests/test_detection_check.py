"""The detection check: known faces found, no false ones (faces/detection_check.py).

Runs the whole upload path (JPEG bytes -> analyze_image) on the check's
photos. The figures pinned here are the ones benchmarks/face_benchmark.py
prints and docs/performance.md reports: 109 of 111 faces, no false face (the old
single-pass detector: 109 and 2); and of FER2013's PublicTest faces filling
their photo, 74.3% (73.1% of the fifth used here; the old detector 74.6%).
"""

import pytest

from faces import detection_check as photos
from faces.analysis import analyze_image
from faces.detection import detect_faces


@pytest.fixture(scope="module")
def check(emotion_models_dir):
    from faces.classifier import EmotionClassifier

    classifier = EmotionClassifier(models_dir=emotion_models_dir)

    def detect(photo):
        return [face.box for face in analyze_image(photo.jpeg(), classifier=classifier)]

    return photos.detection_check(detect)


def test_recall_and_false_faces(check):
    totals, failures = check
    assert totals["faces"] == 111
    assert totals["found"] >= 109, failures
    assert totals["false_faces"] == 0, failures


def test_every_face_size_and_copy_is_mostly_found(check):
    _, failures = check
    for name, known, found, _ in failures:
        assert found >= known // 2, (name, known, found)


@pytest.mark.skipif(
    not photos.FER2013.exists(), reason=f"FER2013 not found at {photos.FER2013}"
)
def test_faces_that_fill_the_photo_are_found():
    # Before the dense rescans around coarse hits: 59.5% of all of them.
    assert photos.canvas_recall(detect_faces, photos.public_test_faces(every=5)) >= 0.72


@pytest.mark.parametrize("width", [40, 56])
def test_small_faces_in_a_1024_px_photo_are_found(width, tiny_classifier):
    group = photos.group_photo(width, "rocket")
    boxes = [
        face.box for face in analyze_image(group.jpeg(), classifier=tiny_classifier)
    ]
    assert photos.score(group.faces, boxes) == (len(group.faces), 0)


@pytest.mark.parametrize("background", photos.MIXED_BACKGROUNDS)
@pytest.mark.parametrize("share", photos.MIXED_SHARES)
@pytest.mark.parametrize("main_width", photos.MIXED_MAIN_WIDTHS)
def test_faces_behind_the_main_one_are_found_down_to_a_third_of_its_width(
    main_width, share, background, tiny_classifier
):
    # Beside a face the finest level looks only for faces from
    # detection.BYSTANDER_SHARE (0.4) of its width; the cascade's windows still
    # catch faces at 0.35 (at a share of 0.45 it found 10 of 16 of them, at
    # 0.55 it lost faces at 0.45 too).
    photo = photos.mixed_group_photo(main_width, share, background)
    boxes = [
        face.box for face in analyze_image(photo.jpeg(), classifier=tiny_classifier)
    ]
    assert photos.score(photo.faces, boxes) == (len(photo.faces), 0)


@pytest.mark.parametrize("name", ["page", "coins", "immunohistochemistry"])
def test_no_false_face_where_the_old_detector_saw_one(name, encode, tiny_classifier):
    for rgb in (photos.rgb_sample(name), photos.resized(photos.rgb_sample(name), 1024)):
        assert analyze_image(encode(rgb, "PNG"), classifier=tiny_classifier) == []


def test_boxes_map_back_to_a_4000_px_photo(tiny_classifier):
    (photo,) = photos.astronaut_photos(sides=(4000,))
    (face,) = analyze_image(photo.jpeg(), classifier=tiny_classifier)
    assert photos.iou(face.box, photo.faces[0]) >= 0.7


def test_score_counts_each_detection_once():
    known = [(0, 0, 10, 10), (100, 100, 10, 10)]
    assert photos.score(known, [(0, 0, 10, 10), (1, 1, 10, 10)]) == (1, 1)
    assert photos.score(known, []) == (0, 0)
