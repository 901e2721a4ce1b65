import json

import h5py
import keras
import numpy as np
import pytest

from faces.classifier import EMOTIONS
from ml_training.face import training
from ml_training.face.data import FerSplits, augment_batch
from ml_training.face.training import FaceTrainingConfig, learning_rate_at

TINY = {
    "stem_filters": [4],
    "entry_filters": [8, 16],
    "middle_blocks": 0,
    "exit_filters": 0,
    "dropout": 0.0,
}


@pytest.fixture(scope="module")
def splits():
    rng = np.random.default_rng(0)
    return FerSplits(
        x_train=rng.integers(0, 256, (256, 48, 48), dtype=np.uint8),
        y_train=rng.integers(0, 7, 256),
        x_val=rng.integers(0, 256, (64, 48, 48), dtype=np.uint8),
        y_val=rng.integers(0, 7, 64),
        sha256="0" * 64,
    )


def config(tmp_path, **overrides):
    values = dict(
        data=tmp_path / "unused.npz",
        output_dir=tmp_path / "models",
        checkpoint_dir=tmp_path / "checkpoints",
        epochs=1,
        batch_size=64,
        architecture=dict(TINY),
        export_tflite=False,  # slow; the smoke test below turns it on
        verbose=0,
    )
    values.update(overrides)
    return FaceTrainingConfig(**values)


def test_smoke_training_writes_a_loadable_model_report_and_plots(tmp_path, splits):
    report = training.train_face_model(config(tmp_path, export_tflite=True), splits)
    out = tmp_path / "models"
    model = keras.saving.load_model(out / "emotion_model.keras", compile=False)
    assert model.output_shape == (None, 7)
    saved = json.loads((out / "emotion_model.json").read_text())
    assert saved["public_test_accuracy"] == report["public_test_accuracy"]
    assert set(saved["per_class"]) == set(EMOTIONS)
    assert saved["epochs_trained"] == 1 and saved["data_sha256"] == "0" * 64
    assert (out / "emotion_model.tflite").stat().st_size > 0
    for plot in ("emotion_confusion.png", "emotion_curves.png"):
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp left


class Crash(Exception):
    pass


def test_an_interrupted_run_leaves_the_shipped_model_in_place(
    tmp_path, splits, monkeypatch
):
    out = tmp_path / "models"
    out.mkdir()
    shipped = {"emotion_model.keras": b"old model", "emotion_model.json": b"{}"}
    for name, content in shipped.items():
        (out / name).write_bytes(content)

    def crash_while_plotting(*args, **kwargs):
        raise Crash

    # A crash after the new model was written but before publishing.
    monkeypatch.setattr(
        training.artifacts, "plot_training_curves", crash_while_plotting
    )
    with pytest.raises(Crash):
        training.train_face_model(config(tmp_path), splits)
    for name, content in shipped.items():
        assert (out / name).read_bytes() == content
    assert sorted(p.name for p in out.iterdir()) == sorted(shipped)


def test_resume_continues_from_the_checkpoint(tmp_path, splits):
    training.train_face_model(config(tmp_path, epochs=1), splits)
    state = json.loads((tmp_path / "checkpoints" / "state.json").read_text())
    assert state["epochs_done"] == 1
    report = training.train_face_model(config(tmp_path, epochs=2, resume=True), splits)
    assert report["epochs_trained"] == 2
    assert len(report_history(tmp_path)["loss"]) == 2


def test_a_stopped_and_resumed_run_ends_with_the_weights_of_an_unbroken_run(
    tmp_path, splits
):
    # Dropout, random erasing and photo artefacts on: every source of
    # randomness an epoch has must come back the same after a resume.
    recipe = dict(
        epochs=2,
        architecture={**TINY, "dropout": 0.3},
        random_erasing=0.5,
        photo_artefacts=0.5,
    )
    unbroken, stopped = tmp_path / "unbroken", tmp_path / "stopped"
    training.train_face_model(config(unbroken, **recipe), splits)
    training.train_face_model(config(stopped, **{**recipe, "epochs": 1}), splits)
    training.train_face_model(config(stopped, **recipe, resume=True), splits)

    def last_weights(run):
        model = keras.saving.load_model(run / "checkpoints" / "last.keras")
        return model.get_weights()

    for a, b in zip(last_weights(unbroken), last_weights(stopped), strict=True):
        np.testing.assert_array_equal(a, b)


def report_history(tmp_path):
    return json.loads((tmp_path / "checkpoints" / "state.json").read_text())["history"]


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_best_weights_are_saved_without_the_optimizer_state_and_load_anywhere(
    tmp_path,
):
    model = training.build_emotion_model(**TINY)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    faces = np.zeros((2, 48, 48, 1), dtype="float32")
    model.fit(faces, np.eye(7)[:2], verbose=0)  # the optimizer now has state
    model.save_weights(tmp_path / "full.weights.h5")
    training.save_model_weights(model, tmp_path / "best.weights.h5")

    with h5py.File(tmp_path / "full.weights.h5") as full:
        assert "optimizer" in full
    with h5py.File(tmp_path / "best.weights.h5") as best:
        assert "optimizer" not in best
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "best.weights.h5",
        "full.weights.h5",
    ]
    fresh = training.build_emotion_model(**TINY)  # as publishing builds it
    compiled = training.build_emotion_model(**TINY)  # as a run ends with it
    compiled.compile(optimizer="adam", loss="categorical_crossentropy")
    compiled.fit(faces, np.eye(7)[1:3], verbose=0)
    for loader in (fresh, compiled):
        loader.load_weights(tmp_path / "best.weights.h5")
        for loaded, trained in zip(
            loader.get_weights(), model.get_weights(), strict=True
        ):
            np.testing.assert_array_equal(loaded, trained)


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path, splits):
    with pytest.raises(FileNotFoundError, match="Nothing to resume"):
        training.train_face_model(config(tmp_path, resume=True), splits)


def test_learning_rate_warms_up_then_decays(tmp_path):
    cfg = config(tmp_path, epochs=20, learning_rate=1e-3, warmup_epochs=2)
    rates = [learning_rate_at(epoch, cfg) for epoch in range(20)]
    assert rates[0] < rates[1] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(rates[1:], rates[2:], strict=False))
    assert rates[-1] < 1e-4


def test_augmentation_keeps_shape_and_range_and_changes_pixels():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (16, 48, 48), dtype=np.uint8)
    augmented = augment_batch(images, rng)
    assert augmented.shape == images.shape and augmented.dtype == np.uint8
    assert (augmented != images).mean() > 0.5


def test_random_erasing_blanks_one_rectangle_per_chosen_face():
    flat = np.full((64, 48, 48), 128, dtype=np.uint8)
    plain = augment_batch(flat, np.random.default_rng(2))
    erased = augment_batch(flat, np.random.default_rng(2), random_erasing=1.0)
    for before, after in zip(plain, erased, strict=True):
        rows, cols = np.nonzero(before != after)
        assert len(rows) > 0
        # Everything changed lies inside one rectangle of at most 25% + rounding.
        box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        assert box <= 0.3 * 48 * 48


def test_no_random_erasing_leaves_the_augmentation_as_it_was():
    images = np.random.default_rng(3).integers(0, 256, (8, 48, 48), dtype=np.uint8)
    np.testing.assert_array_equal(
        augment_batch(images, np.random.default_rng(4)),
        augment_batch(images, np.random.default_rng(4), random_erasing=0.0),
    )


def test_a_checkpoint_trained_elsewhere_is_published_with_its_own_recipe(
    tmp_path, splits
):
    trained = training.train_face_model(
        config(tmp_path, epochs=2, label_smoothing=0.2, random_erasing=0.5), splits
    )
    checkpoints = tmp_path / "checkpoints"
    (checkpoints / "last.keras").unlink()  # too big to bring back from a GPU machine
    here = config(
        tmp_path,
        output_dir=tmp_path / "published",
        architecture={"stem_filters": [2], "entry_filters": [4]},  # not the run's
        label_smoothing=0.0,
    )
    report = training.publish_checkpoint(here, splits)

    assert report["public_test_accuracy"] == trained["public_test_accuracy"]
    assert report["architecture"] == TINY
    assert report["config"]["label_smoothing"] == 0.2
    assert report["config"]["random_erasing"] == 0.5
    assert report["config"]["output_dir"].endswith("published")
    assert report["epochs_trained"] == 2 and report["training_seconds"] > 0
    assert (tmp_path / "published" / "emotion_model.keras").exists()


def test_publishing_without_a_checkpoint_says_what_is_missing(tmp_path, splits):
    with pytest.raises(FileNotFoundError, match="state.json"):
        training.publish_checkpoint(config(tmp_path), splits)


CLASS_WEIGHTS = np.arange(1, 8, dtype="float32")


def weighted_batches(images, labels, batch=2, **options):
    """One batch of epoch 3 of WeightedBatches (seed 1), with its rows."""
    batches = training.WeightedBatches(
        images, labels, seed=1, weights=CLASS_WEIGHTS, **options
    )
    batches.set_epoch(3)
    return (*batches[batch], batches.rows(batch))


def test_distillation_targets_blend_the_teachers_probabilities_into_the_labels(
    splits,
):
    soft = np.random.default_rng(5).dirichlet(np.ones(7), len(splits.y_train))
    _, y, sample_weights, rows = weighted_batches(
        splits.x_train,
        splits.y_train,
        batch_size=32,
        soft_targets=soft,
        distillation=0.7,
    )
    one_hot = np.eye(7)[splits.y_train[rows]]
    np.testing.assert_allclose(y, 0.3 * one_hot + 0.7 * soft[rows], rtol=1e-6)
    # Weighted by the face's own label, not by the blended target's top class.
    np.testing.assert_array_equal(sample_weights, CLASS_WEIGHTS[splits.y_train[rows]])


def test_mixup_blends_faces_targets_and_weights_by_the_same_share(splits):
    # One batch of seven faces, one of each emotion: a mixed target then names
    # both faces of its blend and the share of each.
    labels = np.arange(7)
    images = splits.x_train[:7]
    options = dict(batch=0, batch_size=7)
    x, _, weights, rows = weighted_batches(images, labels, **options)
    mixed_x, mixed_y, mixed_weights, _ = weighted_batches(
        images, labels, mixup=0.4, **options
    )
    own = labels[rows]
    position = {label: i for i, label in enumerate(own)}
    blended = 0
    for i in range(len(rows)):
        share = mixed_y[i, own[i]]
        others = [k for k in np.flatnonzero(mixed_y[i] > 1e-6) if k != own[i]]
        if not others:  # mixed with itself: left as it was
            np.testing.assert_allclose(mixed_x[i], x[i], atol=1e-3)
            continue
        blended += 1
        (partner_label,) = others
        j = position[partner_label]
        np.testing.assert_allclose(
            mixed_x[i], share * x[i] + (1 - share) * x[j], atol=1e-3
        )
        np.testing.assert_allclose(
            mixed_weights[i], share * weights[i] + (1 - share) * weights[j], rtol=1e-5
        )
    assert blended >= 5
    # The same (seed, epoch, batch) mixes the same pairs: resumable.
    again = weighted_batches(images, labels, mixup=0.4, **options)
    np.testing.assert_array_equal(again[0], mixed_x)


def test_a_distilled_run_reads_its_teacher_once_and_resumes_with_its_targets(
    tmp_path, splits
):
    teacher = tmp_path / "teacher"
    training.train_face_model(
        config(tmp_path / "first", output_dir=teacher, export_tflite=True), splits
    )
    recipe = dict(epochs=2, teacher=teacher, distillation=0.5)
    # An earlier run's targets in the folder: a new run must not learn from them.
    (tmp_path / "checkpoints").mkdir()
    stale = np.full((len(splits.y_train), 7), 1 / 7, dtype="float32")
    np.save(tmp_path / "checkpoints" / training.TEACHER_FILE, stale)
    report = training.train_face_model(
        config(tmp_path, **{**recipe, "epochs": 1}), splits
    )
    targets = tmp_path / "checkpoints" / training.TEACHER_FILE
    read = np.load(targets)
    assert read.shape == (len(splits.y_train), 7)
    np.testing.assert_allclose(read.sum(axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(read, stale)
    assert report["config"]["teacher"].endswith("teacher")
    assert report["config"]["distillation"] == 0.5

    # The teacher changes (retrained, or gone): the run resumes with the
    # targets it started with.
    (teacher / "emotion_model.tflite").unlink()
    training.train_face_model(config(tmp_path, **recipe, resume=True), splits)
    np.testing.assert_array_equal(np.load(targets), read)


def test_a_run_started_from_a_trained_model_begins_with_its_weights(tmp_path, splits):
    trained = tmp_path / "trained"
    training.train_face_model(config(tmp_path / "first", output_dir=trained), splits)
    model, state = training._start_or_resume(config(tmp_path, start_from=trained))
    shipped = keras.saving.load_model(trained / "emotion_model.keras", compile=False)
    for a, b in zip(model.get_weights(), shipped.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert state["epochs_done"] == 0


def test_starting_from_another_architecture_is_a_clear_error(tmp_path, splits):
    trained = tmp_path / "trained"
    training.train_face_model(config(tmp_path / "first", output_dir=trained), splits)
    other = {**TINY, "entry_filters": [8, 32]}
    with pytest.raises(ValueError, match="another architecture"):
        training.train_face_model(
            config(tmp_path, start_from=trained, architecture=other), splits
        )
