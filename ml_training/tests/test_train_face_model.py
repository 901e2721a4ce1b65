import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from ml_training.face.model import ARCHITECTURES


def write_fake_fer(path, n_train=192, n_val=64):
    rng = np.random.default_rng(0)
    n = n_train + n_val
    np.savez_compressed(
        path,
        pixels=rng.integers(0, 256, (n, 48, 48), dtype=np.uint8),
        emotion=rng.integers(0, 7, n).astype(np.uint8),
        usage=np.r_[np.zeros(n_train), np.ones(n_val)].astype(np.uint8),
    )


@pytest.mark.slow
def test_one_epoch_smoke_run_publishes_a_model(tmp_path, capsys):
    data = tmp_path / "fer.npz"
    write_fake_fer(data)
    out = tmp_path / "models"
    call_command(
        "train_face_model",
        data=data,
        output_dir=out,
        epochs=1,
        batch_size=64,
        class_weight_power=0,
        label_smoothing=0.05,
        random_erasing=0.5,
        mixup=0.2,
        verbosity=0,
    )
    report = json.loads((out / "emotion_model.json").read_text())
    assert report["train_size"] == 192 and report["public_test_size"] == 64
    # The recipe's knobs reach the run and its report.
    assert report["config"]["class_weight_power"] == 0
    assert report["config"]["label_smoothing"] == 0.05
    assert report["config"]["random_erasing"] == 0.5
    assert report["config"]["mixup"] == 0.2
    assert report["architecture"] == ARCHITECTURES["compact"]
    assert (out / "emotion_model.keras").exists()
    assert (out / "checkpoints" / "last.keras").exists()


def test_resuming_with_another_architecture_is_a_command_error(tmp_path):
    data = tmp_path / "fer.npz"
    write_fake_fer(data, n_train=64, n_val=16)
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    (checkpoints / "state.json").write_text(
        json.dumps({"architecture": ARCHITECTURES["wide"]})
    )
    with pytest.raises(CommandError, match="same --architecture"):
        call_command(
            "train_face_model",
            data=data,
            output_dir=tmp_path,
            checkpoint_dir=checkpoints,
            resume=True,
            verbosity=0,
        )


def test_an_unknown_architecture_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("train_face_model", "--architecture", "huge")


def test_export_only_converts_the_shipped_keras_model(tmp_path):
    from ml_training.face.model import build_emotion_model

    model = build_emotion_model(stem_filters=(4,), entry_filters=(8,), middle_blocks=0)
    model.save(tmp_path / "emotion_model.keras")
    (tmp_path / "emotion_model.json").write_text('{"tflite": null}')
    call_command("train_face_model", export_only=True, output_dir=tmp_path, verbosity=0)
    assert (tmp_path / "emotion_model.tflite").stat().st_size > 0
    assert json.loads((tmp_path / "emotion_model.json").read_text())["tflite"]


def test_export_only_without_a_model_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No model to export"):
        call_command("train_face_model", export_only=True, output_dir=tmp_path)


def test_missing_data_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command("train_face_model", data=tmp_path / "nope.npz")
