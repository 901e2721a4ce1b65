"""ml_training.scene.data: the group-wise split, reading rows, augmentation."""

import numpy as np
import pandas as pd
import pytest

from ml_training.scene import data


def write_labels(directory, groups, moods, sources=None, faces=None):
    n = len(groups)
    pd.DataFrame(
        {
            "file": [f"p{i}.jpg" for i in range(n)],
            "source": sources or ["oasis"] * n,
            "mood": moods,
            "group": groups,
            "haar_faces": faces or [0] * n,
            "split": ["train"] * n,
        }
    ).to_csv(directory / "labels.csv", index=False)


def test_a_group_is_on_one_side_only_and_the_share_is_about_a_fifth():
    groups = [f"group {i}" for i in range(4000)]
    sides = [data.is_validation(group) for group in groups]
    assert 0.18 < np.mean(sides) < 0.22
    assert [data.is_validation(group) for group in groups] == sides  # stable


def test_read_labels_keeps_groups_together_and_filters(tmp_path):
    groups = [f"theme {i // 3}" for i in range(300)]
    sources = ["oasis", "emotion6", "oasis"] * 100
    faces = [0, 0, 1] * 100
    write_labels(tmp_path, groups, ["calm"] * 300, sources, faces)
    rows = data.read_labels(tmp_path)
    assert rows.groupby("group")["validation"].nunique().max() == 1
    assert rows["validation"].any() and not rows["validation"].all()
    assert set(data.read_labels(tmp_path, oasis_only=True)["source"]) == {"oasis"}
    assert len(data.read_labels(tmp_path, without_faces=True)) == 200


def test_a_mood_outside_moods_is_refused(tmp_path):
    write_labels(tmp_path, ["a"], ["tense"])
    with pytest.raises(ValueError, match="tense"):
        data.read_labels(tmp_path)


def test_augmented_views_differ_but_keep_the_hue():
    rng = np.random.default_rng(0)
    photo = np.zeros((200, 300, 3), np.uint8)
    photo[..., 2] = 200  # blue
    photo[:100, :150, 0] = 120  # some purple in one corner
    views = [data.augment(photo, rng) for _ in range(6)]
    assert all(view.shape == (224, 224, 3) and view.dtype == np.uint8 for view in views)
    assert len({view.tobytes() for view in views}) == 6
    for view in views:
        assert view[..., 2].mean() > view[..., 1].mean() + 100  # still blue
