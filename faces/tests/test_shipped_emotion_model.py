"""The shipped emotion model, through the serving path, against its own report."""

import json

import numpy as np
import pytest
from django.conf import settings

from faces import classifier as classifier_module
from faces.classifier import EMOTIONS, EmotionClassifier

FER = settings.SHARED_DATA_DIR / "fer2013" / "fer2013.npz"
CKPLUS = settings.SHARED_DATA_DIR / "ckplus" / "ckplus48.npz"
REPORT = settings.MODELS_DIR / "emotion_model.json"
PUBLIC_TEST = 1
# The floor the shipped reading must hold on PublicTest: the best shipped
# report's figure minus half a point (70.16% for members j and m averaged, at
# their fitted temperature, prior shift and neutral offset, in float32; the
# same pair stored as 8-bit integers, shipped since, reads 70.05%). The product
# target is 0.72; raise this as better readings ship.
ACCURACY_FLOOR = 0.6966

pytestmark = [
    pytest.mark.skipif(not FER.exists(), reason=f"FER2013 not found at {FER}"),
    pytest.mark.skipif(not REPORT.exists(), reason="no shipped emotion model"),
]


@pytest.fixture(scope="module")
def public_test():
    with np.load(FER) as data:
        rows = data["usage"] == PUBLIC_TEST
        return data["pixels"][rows], data["emotion"][rows]


def test_shipped_model_scores_what_its_report_says_on_public_test(public_test):
    faces, labels = public_test
    classifier_module.clear_cache()
    probabilities = EmotionClassifier().predict_proba(faces)
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    report = json.loads(REPORT.read_text())
    assert report["emotions"] == list(EMOTIONS)
    # LiteRT and Keras differ only by float rounding: the same faces, the same answers.
    assert accuracy == pytest.approx(report["public_test_accuracy"], abs=0.005)
    assert accuracy >= ACCURACY_FLOOR


@pytest.mark.skipif(not CKPLUS.exists(), reason=f"CK+ not found at {CKPLUS}")
def test_shipped_model_scores_what_its_report_says_on_ckplus():
    with np.load(CKPLUS) as data:
        faces, labels = data["pixels"], data["emotion"]
    classifier_module.clear_cache()
    predicted = EmotionClassifier().predict_proba(faces).argmax(axis=1)
    report = json.loads(REPORT.read_text())
    assert float((predicted == labels).mean()) == pytest.approx(
        report["ckplus"]["accuracy"], abs=0.005
    )
