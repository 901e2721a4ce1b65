"""train_mood_model: a smoke run, the saved files, and the atomic save."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from ml_training.mood import artifacts, model
from ml_training.tests.test_mood_data import synthetic_catalogue, write_csv
from music.mood import MOODS, MoodClassifier

SMOKE = dict(folds=2, epochs=2, seed=3)


@pytest.fixture
def catalogues(tmp_path):
    main = write_csv(synthetic_catalogue(10), tmp_path / "main.csv")
    cross = synthetic_catalogue(
        6, seed=1, moods=["Happy", "chill", "study"], id_prefix="X"
    )
    return main, write_csv(cross, tmp_path / "cross.csv")


def train(main, cross, output_dir, **options):
    out = StringIO()
    call_command(
        "train_mood_model",
        data=main,
        cross=cross,
        output_dir=output_dir,
        stdout=out,
        stderr=StringIO(),
        **{**SMOKE, **options},
    )
    return out.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One smoke training shared by the tests that only read its output."""
    directory = tmp_path_factory.mktemp("mood")
    main = write_csv(synthetic_catalogue(10), directory / "main.csv")
    cross = write_csv(
        synthetic_catalogue(6, seed=1, moods=["Happy", "chill"], id_prefix="X"),
        directory / "cross.csv",
    )
    output = train(main, cross, directory / "models")
    return directory / "models", main, output


@pytest.mark.slow
def test_smoke_training_writes_model_json_and_png(trained):
    output_dir, main, output = trained
    assert "CV accuracy" in output and "cross-catalogue accuracy" in output
    metadata = json.loads((output_dir / "mood_model.json").read_text())
    assert metadata["classes"] == list(MOODS)
    assert metadata["features"][-1] == "duration_ms"
    assert len(metadata["cv"]["fold_accuracies"]) == 2
    assert metadata["cv"]["std"] >= 0
    assert set(metadata["cv"]["per_class"]) == set(MOODS)
    assert np.array(metadata["cv"]["confusion"]).sum() == 40
    assert metadata["cross_catalogue"]["n"] == 12
    assert metadata["cross_catalogue"]["held_out_fraction"] is None
    served = metadata["served_precision"]
    assert served["songs"] == 12 and served["served_per_mood"] == 48
    assert set(served["per_mood"]) == {"happy", "energetic", "calm"}
    assert metadata["data"][0]["sha256"] and metadata["epochs"] == 2
    assert metadata["seed"] == 3 and metadata["parameters"] > 0
    assert (output_dir / "mood_confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in output_dir.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_saved_model_alone_takes_raw_features(trained):
    import keras

    output_dir, main, _ = trained
    metadata = json.loads((output_dir / "mood_model.json").read_text())
    loaded = keras.saving.load_model(output_dir / "mood_model.keras", compile=False)
    raw = synthetic_catalogue(10).rename(columns={"length": "duration_ms"})
    features = raw[metadata["features"]].to_numpy(np.float32)  # unscaled
    probabilities = keras.ops.convert_to_numpy(loaded(features))
    assert probabilities.shape == (40, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    mean, _ = model.normalization_statistics(loaded)
    np.testing.assert_allclose(mean, features.mean(axis=0), rtol=1e-3)
    np.testing.assert_allclose(
        MoodClassifier(output_dir / "mood_model.keras").predict_proba(raw),
        probabilities,
        rtol=1e-5,
    )


@pytest.mark.slow
def test_same_seed_same_model(trained, tmp_path):
    output_dir, main, _ = trained
    train(main, "none", tmp_path / "again", no_cv=True)
    first = json.loads((output_dir / "mood_model.json").read_text())
    again = json.loads((tmp_path / "again" / "mood_model.json").read_text())
    assert again["version"].split("-")[-1] == first["version"].split("-")[-1]


def test_no_cv_writes_no_confusion_image_and_removes_a_stale_one(catalogues, tmp_path):
    main, _ = catalogues
    output_dir = tmp_path / "models"
    output_dir.mkdir()
    (output_dir / "mood_confusion.png").write_bytes(b"old")
    train(main, "none", output_dir, no_cv=True, epochs=1)
    metadata = json.loads((output_dir / "mood_model.json").read_text())
    assert metadata["cv"] is None and metadata["cross_catalogue"] is None
    assert not (output_dir / "mood_confusion.png").exists()


@pytest.mark.parametrize("failing", ["training", "saving"])
def test_a_crash_leaves_the_shipped_files_in_place(
    catalogues, tmp_path, monkeypatch, failing
):
    main, _ = catalogues
    output_dir = tmp_path / "models"
    output_dir.mkdir()
    shipped = {
        name: f"old {name}".encode()
        for name in ("mood_model.keras", "mood_model.json", "mood_confusion.png")
    }
    for name, content in shipped.items():
        (output_dir / name).write_bytes(content)

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    if failing == "training":
        monkeypatch.setattr("ml_training.mood.training.fit_model", explode)
    else:  # after the model's temporary file is written
        monkeypatch.setattr(artifacts, "plot_confusion", explode)
    with pytest.raises(RuntimeError, match="boom"):
        train(main, "none", output_dir, epochs=1)
    assert {p.name: p.read_bytes() for p in output_dir.iterdir()} == shipped


def test_bad_options_are_command_errors(catalogues, tmp_path):
    main, _ = catalogues
    with pytest.raises(CommandError, match="no such file"):
        train(tmp_path / "missing.csv", "none", tmp_path)
    with pytest.raises(CommandError, match="--folds"):
        train(main, "none", tmp_path, folds=1)
    with pytest.raises(CommandError, match="unknown mood label"):
        bad = write_csv(synthetic_catalogue(2, moods=["Angry"]), tmp_path / "bad.csv")
        train(bad, "none", tmp_path)
