"""ml_training.scene.training: a whole (tiny) run, resuming, and what it publishes."""

import json

import cv2
import numpy as np
import pandas as pd
import pytest

from ml_training.scene import backbone, data
from ml_training.scene.training import (
    BACKBONE_WEIGHTS,
    REPORT_FILE,
    TFLITE_FILE,
    SceneTrainingConfig,
    train_scene_model,
)
from music.mood import MOODS

COLOURS = {
    "calm": (40, 60, 200),
    "happy": (250, 220, 40),
    "energetic": (220, 30, 30),
    "sad": (60, 60, 70),
}


def scene_folder(directory, per_mood=5):
    """Plain-colour photos of each mood in groups that fall on both sides."""
    (directory / "images").mkdir(parents=True)
    groups = [f"g{i}" for i in range(200)]
    val_groups = [g for g in groups if data.is_validation(g)][:per_mood]
    train_groups = [g for g in groups if not data.is_validation(g)][: per_mood * 2]
    rows = []
    for mood, colour in COLOURS.items():
        for group in (train_groups[:per_mood] if mood else []) + val_groups[:2]:
            name = f"{mood}_{group}.jpg"
            photo = np.full((90, 120, 3), colour, np.uint8)
            cv2.imwrite(str(directory / "images" / name), photo[..., ::-1])
            rows.append(
                {
                    "file": name,
                    "source": "oasis",
                    "mood": mood,
                    "group": group,
                    "haar_faces": 0,
                    "split": "train",
                }
            )
    pd.DataFrame(rows).to_csv(directory / "labels.csv", index=False)
    return directory


@pytest.mark.slow
def test_a_tiny_run_publishes_and_resumes(tmp_path):
    scenes = scene_folder(tmp_path / "scenes")
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    # Random weights stand in for ImageNet's: the conversion needs torch, which
    # tests do without (test_scene_backbone checks it where torch is installed).
    backbone.build_backbone().save_weights(checkpoints / BACKBONE_WEIGHTS)
    config = SceneTrainingConfig(
        data=scenes,
        output_dir=tmp_path / "models",
        checkpoint_dir=checkpoints,
        views=3,
        classifier_epochs=1,
        fine_tune_epochs=1,
        fine_tune_from=15,
        batch_size=8,
        verbose=0,
    )
    report = train_scene_model(config)
    written = {path.name for path in (tmp_path / "models").iterdir()}
    assert {
        TFLITE_FILE,
        REPORT_FILE,
        "scene_confusion.png",
        "scene_curves.png",
        "scene_reliability.png",
    } <= written
    assert json.loads((tmp_path / "models" / REPORT_FILE).read_text()) == report
    validation = report["validation"]
    assert validation["photos"] == 8 and validation["groups"] == 2
    assert np.array(validation["confusion_matrix"]).sum() == 8
    assert report["moods"] == list(MOODS)
    assert report["ms_per_photo"]["median"] > 0
    assert any("OASIS" in terms for terms in report["terms"])
    assert report["training"]["fine-tune"]["epochs"] == 1

    config.resume, config.fine_tune_epochs = True, 2
    resumed = train_scene_model(config)
    assert resumed["training"]["classifier"]["epochs"] == 1  # done: not rerun
    assert resumed["training"]["fine-tune"]["epochs"] == 2
