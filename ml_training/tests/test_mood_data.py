"""ml_training.mood.data: labelled catalogues, overlaps, the stable hold-out."""

import numpy as np
import pandas as pd
import pytest

from ml_training.mood import data
from ml_training.mood.training import TrainingOptions, prepare

# Where each synthetic mood sits on (valence, energy).
CENTRES = {
    "Calm": (0.15, 0.15),
    "Happy": (0.8, 0.6),
    "Energetic": (0.45, 0.9),
    "Sad": (0.2, 0.45),
}


def synthetic_catalogue(n_per_mood=12, *, seed=0, moods=CENTRES, id_prefix="Syn"):
    """A data_moods-style frame whose moods are separable by valence/energy."""
    rng = np.random.default_rng(seed)
    rows = []
    for mood in moods:
        valence, energy = CENTRES.get(mood, (0.5, 0.5))
        for _ in range(n_per_mood):
            n = len(rows)
            rows.append(
                {
                    "name": f"Song {n}",
                    "artist": f"{id_prefix} Artist {n}",
                    "id": f"{id_prefix}{n:019d}",
                    "length": int(rng.integers(120_000, 300_000)),
                    "danceability": rng.random(),
                    "acousticness": rng.random(),
                    "energy": float(np.clip(energy + rng.normal(0, 0.05), 0, 1)),
                    "instrumentalness": rng.random(),
                    "liveness": rng.random(),
                    "valence": float(np.clip(valence + rng.normal(0, 0.05), 0, 1)),
                    "loudness": -rng.random() * 20,
                    "speechiness": rng.random() * 0.3,
                    "tempo": 80 + rng.random() * 80,
                    "key": int(rng.integers(0, 12)),
                    "time_signature": 4,
                    "mood": mood,
                }
            )
    return pd.DataFrame(rows)


def write_csv(frame, path):
    frame.to_csv(path, index=False)
    return path


def test_labels_are_mapped_and_study_dropped(tmp_path):
    frame = synthetic_catalogue(3, moods=["Happy", "chill", "study", "energetic"])
    catalogue = data.load_catalogue(write_csv(frame, tmp_path / "m.csv"))
    assert sorted(set(catalogue.frame["mood"])) == ["calm", "energetic", "happy"]
    assert catalogue.dropped["ignored_label"] == 3
    assert len(catalogue.frame) == 9
    assert len(catalogue.sha256) == 64


def test_duration_column_is_read_under_its_runtime_name(tmp_path):
    catalogue = data.load_catalogue(
        write_csv(synthetic_catalogue(2), tmp_path / "m.csv")
    )
    assert "duration_ms" in catalogue.frame and "length" not in catalogue.frame


def test_release_year_is_derived_from_the_release_date(tmp_path):
    frame = synthetic_catalogue(1).assign(
        release_date=["1999-05-01", "2016", "not a date", None]
    )
    catalogue = data.load_catalogue(write_csv(frame, tmp_path / "m.csv"))
    years = catalogue.frame["release_year"].tolist()
    assert years[:2] == [1999, 2016] and np.isnan(years[2]) and np.isnan(years[3])


def test_repeats_and_conflicting_ids_are_dropped(tmp_path):
    frame = synthetic_catalogue(3)
    repeat = frame.iloc[[0]]
    conflict = frame.iloc[[1]].assign(mood="Sad")
    frame = pd.concat([frame, repeat, conflict])
    catalogue = data.load_catalogue(write_csv(frame, tmp_path / "m.csv"))
    assert catalogue.dropped["duplicate"] == 1
    assert catalogue.dropped["conflicting_labels"] == 2
    assert frame.iloc[1]["id"] not in set(catalogue.frame["id"])


def test_unknown_label_and_missing_column_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown mood label"):
        data.load_catalogue(
            write_csv(synthetic_catalogue(1, moods=["Angry"]), tmp_path / "a.csv")
        )
    with pytest.raises(ValueError, match="missing column.*tempo"):
        data.load_catalogue(
            write_csv(synthetic_catalogue(1).drop(columns="tempo"), tmp_path / "b.csv")
        )


def test_holdout_is_stable_and_about_its_fraction():
    ids = [f"Id{n:020d}" for n in range(2000)]
    mask = data.holdout_mask(ids, 0.2)
    assert 0.17 < mask.mean() < 0.23
    np.testing.assert_array_equal(
        mask, data.holdout_mask(list(reversed(ids)), 0.2)[::-1]
    )


def test_cross_catalogue_excludes_songs_of_the_training_data(tmp_path):
    main = synthetic_catalogue(5)
    other = synthetic_catalogue(5, seed=1, moods=["Happy", "chill"], id_prefix="Oth")
    other.loc[0, "id"] = main.loc[0, "id"]  # same id
    other.loc[1, ["name", "artist"]] = main.loc[
        1, ["name", "artist"]
    ].values  # same song
    options = TrainingOptions(
        data=write_csv(main, tmp_path / "main.csv"),
        cross=write_csv(other, tmp_path / "other.csv"),
    )
    dataset = prepare(options)
    assert len(dataset.cross_test) == len(other) - 2
    assert not set(dataset.cross_test["id"]) & set(main["id"])
    assert dataset.cross_held_out is False


def test_cross_catalogue_used_for_training_is_tested_on_a_held_out_part(tmp_path):
    main = synthetic_catalogue(5)
    other = synthetic_catalogue(40, seed=1, moods=["Happy", "chill"], id_prefix="Oth")
    other.loc[0, "id"] = main.loc[0, "id"]
    other_path = write_csv(other, tmp_path / "other.csv")
    options = TrainingOptions(
        data=write_csv(main, tmp_path / "main.csv"),
        extra=[other_path],
        cross=other_path,
    )
    dataset = prepare(options)
    ((_, trained),) = dataset.extras
    assert dataset.cross_held_out is True
    assert 0 < len(dataset.cross_test) < len(other) / 2
    assert not set(dataset.cross_test["id"]) & set(trained["id"])
    assert not set(trained["id"]) & set(main["id"])  # no CV test song trains
    assert len(dataset.cross_test) + len(trained) == len(other) - 1


def test_training_rows_need_every_chosen_feature(tmp_path):
    frame = synthetic_catalogue(3)
    frame.loc[0, "length"] = None
    catalogue = data.load_catalogue(write_csv(frame, tmp_path / "m.csv"))
    assert len(catalogue.frame) == 12  # duration is optional when loading
    data.with_features(catalogue, ("valence", "duration_ms"))
    assert len(catalogue.frame) == 11
    assert catalogue.dropped["missing_features"] == 1
    with pytest.raises(ValueError, match="no column.*mode"):
        data.with_features(catalogue, ("valence", "mode"))
