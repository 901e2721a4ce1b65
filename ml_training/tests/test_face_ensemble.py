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
    answers, logits = _ensemble_and_member_logits(
        folders, reading=ensemble.Reading(temperature=1.5)
    )
    expected = np.mean([ensemble._softmax(pair[0] / 1.5) for pair in logits], axis=0)
    np.testing.assert_allclose(answers, expected, atol=1e-5)


def test_the_readings_offsets_move_each_members_logits(members):
    _, folders = members
    reading = ensemble.Reading(1.5, 0.8, -0.5, SKEWED_PRIOR)
    answers, logits = _ensemble_and_member_logits(folders, reading=reading)
    expected = ensemble.served_probabilities(logits, reading, flip=False)
    plain = ensemble.served_probabilities(
        logits, ensemble.Reading(temperature=1.5), flip=False
    )
    # The rarest emotion gains, neutral (common, and offset besides) loses.
    assert (expected[:, RAREST] > plain[:, RAREST]).all()
    assert (expected[:, ensemble.NEUTRAL] < plain[:, ensemble.NEUTRAL]).all()
    np.testing.assert_allclose(answers, expected, atol=1e-5)


# FER2013's training mix, rounded: disgust rarest, happy commonest.
SKEWED_PRIOR = (0.14, 0.015, 0.14, 0.25, 0.17, 0.11, 0.175)
RAREST = 1


def _sampled(seed, n=20_000):
    """Logits and labels drawn from them: a reading right as it is."""
    rng = np.random.default_rng(seed)
    true_logits = rng.normal(0, 2, (n, 7))
    return true_logits, _drawn(true_logits, rng)


def _drawn(logits, rng):
    """One label for each row, drawn from softmax(logits)."""
    below = np.cumsum(ensemble._softmax(logits), axis=1) < rng.random((len(logits), 1))
    return np.minimum(below.sum(axis=1), 6).astype("int64")


def test_the_fitted_temperature_undoes_an_overconfident_reading():
    true_logits, labels = _sampled(5)
    # Logits 1.3 times too large: too sure. The fit brings them back.
    overconfident = 1.3 * true_logits
    fitted = ensemble.fit_temperature(
        [(overconfident, overconfident)], labels, flip=False
    )
    assert fitted == pytest.approx(1.3, abs=0.06)


def test_the_fitted_prior_shift_undoes_a_learnt_prior_on_balanced_faces():
    # Faces with every emotion about equally likely, read by a model that
    # learnt a skewed prior: its logits carry +log(prior). The fit takes it
    # back out (strength 1), and leaves a model without that lean as it is.
    true_logits, labels = _sampled(8)
    learnt = true_logits + np.log(SKEWED_PRIOR)
    reading = ensemble.Reading(class_prior=SKEWED_PRIOR)
    assert ensemble.fit_prior_shift(
        [(learnt, learnt)], labels, reading, flip=False
    ) == pytest.approx(1.0, abs=0.1)
    assert ensemble.fit_prior_shift(
        [(true_logits, true_logits)], labels, reading, flip=False
    ) == pytest.approx(0.0, abs=0.1)


def test_the_fitted_neutral_offset_says_neutral_as_often_as_faces_are_neutral():
    true_logits, labels = _sampled(6)
    # A reading that favours neutral by 0.6 of a logit: the fit takes it back.
    leaning = true_logits.copy()
    leaning[:, ensemble.NEUTRAL] += 0.6
    offset = ensemble.fit_neutral_offset(
        [(leaning, leaning)], labels, ensemble.Reading(), flip=False
    )
    assert offset == pytest.approx(-0.6, abs=0.1)
    served = ensemble.served_probabilities(
        [(leaning, leaning)], ensemble.Reading(neutral_offset=offset), False
    )
    said = (served.argmax(axis=1) == ensemble.NEUTRAL).sum()
    unshifted = ensemble.served_probabilities(
        [(leaning, leaning)], ensemble.Reading(), False
    )
    assert abs(said - (labels == ensemble.NEUTRAL).sum()) < abs(
        (unshifted.argmax(axis=1) == ensemble.NEUTRAL).sum()
        - (labels == ensemble.NEUTRAL).sum()
    )


def test_a_reading_is_fitted_on_the_first_set_and_measured_on_each():
    true_logits, labels = _sampled(7)
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
    reading, figures = ensemble.fit_and_measure(on, sets, SKEWED_PRIOR)
    assert reading.temperature == pytest.approx(1.3, abs=0.06)
    assert reading.class_prior == SKEWED_PRIOR
    served = ensemble.served_probabilities(on["CK+"], reading)
    accuracy = (served.argmax(axis=1) == labels[second]).mean()
    assert figures["CK+"] == (
        pytest.approx(accuracy),
        pytest.approx(evaluation.expected_calibration_error(served, labels[second])),
    )
    # Two views of three: the mirror counts, a third view too.
    views = ensemble.served_probabilities(
        [(true_logits, true_logits, np.zeros_like(true_logits))], ensemble.Reading()
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
    assert report["prior_shift"] in ensemble.PRIOR_SHIFTS
    assert report["neutral_offset"] in ensemble.NEUTRAL_OFFSETS
    # The offsets in the file are the fitted reading's, over FER2013's mix.
    with np.load(data) as fer:
        prior = ensemble.class_prior(fer["emotion"][fer["usage"] == 0])
    fitted = ensemble.Reading(
        report["temperature"], report["prior_shift"], report["neutral_offset"], prior
    )
    assert list(report["logit_offsets"].values()) == pytest.approx(
        fitted.offsets.tolist(), abs=1e-4
    )


def test_an_int8_file_reads_faces_as_the_float_file_does(members, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    data, folders = members
    for name, int8 in (("float", False), ("int8", True)):
        call_command(
            "publish_emotion_ensemble",
            *folders,
            data=data,
            output_dir=tmp_path / name,
            int8=int8,
            verbosity=0,
        )
    report = json.loads((tmp_path / "int8" / "emotion_model.json").read_text())
    assert report["weights"] == "int8"
    flatbuffer = tmp_path / "int8" / "emotion_model.tflite"
    stored = {t["dtype"] for t in Interpreter(str(flatbuffer)).get_tensor_details()}
    assert np.int8 in stored, "the file holds no 8-bit tensors"

    with np.load(data) as fer:
        faces = fer["pixels"][fer["usage"] == 1]
    as_float = EmotionClassifier(tmp_path / "float").predict_proba(faces)
    as_int8 = EmotionClassifier(tmp_path / "int8").predict_proba(faces)
    # Ranges measured on faces scaled as the site feeds them (0..255): faces
    # scaled to 0..1 instead moved these by up to 0.08 (tried).
    assert np.abs(as_int8 - as_float).max() < 0.02
    # Its answers come in steps of 1/256; the classifier makes each row add up.
    assert np.allclose(as_int8.sum(axis=1), 1, atol=1e-5)


def test_a_folder_without_a_trained_member_is_a_command_error(members, tmp_path):
    data, _ = members
    with pytest.raises(CommandError, match="Not a trained member"):
        call_command("publish_emotion_ensemble", tmp_path, data=data, verbosity=0)


def test_a_weight_soup_holds_the_mean_of_each_weight(members):
    _, folders = members
    models = [ensemble.load_member(folder)[0] for folder in folders]
    soup = ensemble.average_weights(models)
    for mixed, first, second in zip(
        soup.get_weights(),
        models[0].get_weights(),
        models[1].get_weights(),
        strict=True,
    ):
        np.testing.assert_allclose(mixed, (first + second) / 2, rtol=1e-6)
    assert all(
        np.array_equal(kept, original)
        for kept, original in zip(
            models[0].get_weights(),
            ensemble.load_member(folders[0])[0].get_weights(),
            strict=True,
        )
    ), "averaging changed the first member's own weights"
