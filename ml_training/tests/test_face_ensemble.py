import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from faces.classifier import EmotionClassifier
from ml_training.face import ensemble, evaluation, training
from ml_training.face.training import FaceTrainingConfig
from ml_training.tests.test_face_training import TINY
from ml_training.tests.test_train_face_model import write_fake_fer


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """Two tiny members trained for an epoch on a fake FER2013, each
    published into its own folder as train_face_model does."""
    root = tmp_path_factory.mktemp("ensemble")
    data = root / "fer.npz"
    write_fake_fer(data)
    folders = []
    for seed in (1, 2):
        folder = root / f"member_{seed}"
        training.train_face_model(
            FaceTrainingConfig(
                data=data,
                output_dir=folder,
                checkpoint_dir=root / f"checkpoints_{seed}",
                epochs=1,
                batch_size=64,
                seed=seed,
                architecture=dict(TINY),
                export_tflite=False,
                verbose=0,
            )
        )
        folders.append(folder)
    return data, folders


def test_the_ensemble_answers_the_mean_of_its_members(members):
    _, folders = members
    loaded = [ensemble.load_member(folder) for folder in folders]
    model = ensemble.build_ensemble(
        [(member, report["architecture"]) for member, report in loaded]
    )
    faces = np.random.default_rng(3).integers(0, 256, (5, 48, 48, 1)).astype("float32")
    each = [np.asarray(member(faces, training=False)) for member, _ in loaded]
    np.testing.assert_allclose(
        model(faces, training=False), np.mean(each, axis=0), atol=1e-6
    )
    assert model.count_params() == sum(member.count_params() for member, _ in loaded)


def _ensemble_and_member_logits(folders, **settings):
    """The ensemble of the members built with `settings`, and each member's
    logits (faces, mirror images) for a few random faces."""
    loaded = [ensemble.load_member(folder) for folder in folders]
    model = ensemble.build_ensemble(
        [(member, report["architecture"]) for member, report in loaded], **settings
    )
    faces = np.random.default_rng(4).integers(0, 256, (5, 48, 48)).astype("uint8")
    logits = [ensemble.member_logits(member, faces) for member, _ in loaded]
    answers = model(faces[..., np.newaxis].astype("float32"), training=False)
    return np.asarray(answers), logits


def test_a_temperature_softens_each_members_softmax(members):
    _, folders = members
    answers, logits = _ensemble_and_member_logits(folders, temperature=1.5)
    expected = np.mean([ensemble._softmax(pair[0] / 1.5) for pair in logits], axis=0)
    np.testing.assert_allclose(answers, expected, atol=1e-5)


def test_the_neutral_offset_moves_each_members_neutral_logit(members):
    _, folders = members
    answers, logits = _ensemble_and_member_logits(
        folders, temperature=1.5, neutral_offset=-0.5
    )
    expected = ensemble.served_probabilities(logits, 1.5, -0.5, flip=False)
    plain = ensemble.served_probabilities(logits, 1.5, flip=False)
    assert (expected[:, ensemble.NEUTRAL] < plain[:, ensemble.NEUTRAL]).all()
    np.testing.assert_allclose(answers, expected, atol=1e-5)


def test_the_fitted_temperature_undoes_an_overconfident_reading():
    rng = np.random.default_rng(5)
    true_logits = rng.normal(0, 2, (20_000, 7))
    labels = np.array(
        [rng.choice(7, p=p) for p in ensemble._softmax(true_logits)], dtype="int64"
    )
    # Logits 1.3 times too large: too sure. The fit brings them back.
    overconfident = 1.3 * true_logits
    fitted = ensemble.fit_temperature(
        [(overconfident, overconfident)], labels, flip=False
    )
    assert fitted == pytest.approx(1.3, abs=0.06)


def test_the_fitted_neutral_offset_says_neutral_as_often_as_faces_are_neutral():
    rng = np.random.default_rng(6)
    true_logits = rng.normal(0, 2, (20_000, 7))
    labels = np.array(
        [rng.choice(7, p=p) for p in ensemble._softmax(true_logits)], dtype="int64"
    )
    # A reading that favours neutral by 0.6 of a logit: the fit takes it back.
    leaning = true_logits.copy()
    leaning[:, ensemble.NEUTRAL] += 0.6
    offset = ensemble.fit_neutral_offset([(leaning, leaning)], labels, 1.0, flip=False)
    assert offset == pytest.approx(-0.6, abs=0.1)
    served = ensemble.served_probabilities([(leaning, leaning)], 1.0, offset, False)
    said = (served.argmax(axis=1) == ensemble.NEUTRAL).sum()
    unshifted = ensemble.served_probabilities([(leaning, leaning)], 1.0, 0.0, False)
    assert abs(said - (labels == ensemble.NEUTRAL).sum()) < abs(
        (unshifted.argmax(axis=1) == ensemble.NEUTRAL).sum()
        - (labels == ensemble.NEUTRAL).sum()
    )


def test_a_reading_is_fitted_on_the_first_set_and_measured_on_each():
    rng = np.random.default_rng(7)
    true_logits = rng.normal(0, 2, (20_000, 7))
    labels = np.array(
        [rng.choice(7, p=p) for p in ensemble._softmax(true_logits)], dtype="int64"
    )
    first, second = slice(0, 10_000), slice(10_000, None)
    sets = [
        evaluation.FaceSet("PublicTest", None, labels[first]),
        evaluation.FaceSet("CK+", None, labels[second]),
    ]
    # Too sure on the first set only: its temperature is fitted there, not on
    # the second set, whose logits are right as they are.
    on = {
        "PublicTest": [(1.3 * true_logits[first],) * 2],
        "CK+": [(true_logits[second],) * 2],
    }
    temperature, offset, figures = ensemble.fit_and_measure(on, sets)
    assert temperature == pytest.approx(1.3, abs=0.06)
    served = ensemble.served_probabilities(on["CK+"], temperature, offset)
    accuracy = (served.argmax(axis=1) == labels[second]).mean()
    assert figures["CK+"] == (
        pytest.approx(accuracy),
        pytest.approx(evaluation.expected_calibration_error(served, labels[second])),
    )
    # Two views of three: the mirror counts, a third view too.
    views = ensemble.served_probabilities(
        [(true_logits, true_logits, np.zeros_like(true_logits))], 1.0
    )
    assert views == pytest.approx((2 * ensemble._softmax(true_logits) + 1 / 7) / 3)


def test_publishing_measures_the_served_file_and_lists_its_members(members, tmp_path):
    data, folders = members
    out = tmp_path / "shipped"
    call_command(
        "publish_emotion_ensemble", *folders, data=data, output_dir=out, verbosity=0
    )
    report = json.loads((out / "emotion_model.json").read_text())
    assert [m["folder"] for m in report["members"]] == [str(f) for f in folders]
    assert report["flip_tta"] is True and report["ms_per_face"] > 0

    # The report's accuracy is what the site's classifier reads from the
    # published .tflite, mirror image included.
    with np.load(data) as fer:
        rows = fer["usage"] == 1
        faces, labels = fer["pixels"][rows], fer["emotion"][rows]
    served = EmotionClassifier(out).predict_proba(faces)
    assert report["public_test_accuracy"] == pytest.approx(
        float((served.argmax(axis=1) == labels).mean()), abs=1e-4
    )
    assert report["confusion_matrix"] and len(report["per_class"]) == 7
    assert 0 <= report["expected_calibration_error"] <= 1
    assert report["temperature"] in ensemble.TEMPERATURES
    assert report["neutral_offset"] in ensemble.NEUTRAL_OFFSETS


def test_a_folder_without_a_trained_member_is_a_command_error(members, tmp_path):
    data, _ = members
    with pytest.raises(CommandError, match="Not a trained member"):
        call_command("publish_emotion_ensemble", tmp_path, data=data, verbosity=0)
