import numpy as np

from ml_training.face import portable
from ml_training.face.data import load_fer2013


def test_packed_faces_unpack_to_the_same_pixels_labels_and_splits(
    tmp_path, monkeypatch
):
    # Small files, so that several mosaics and a padded last row are exercised.
    monkeypatch.setattr(portable, "FACES_PER_FILE", 300)
    rng = np.random.default_rng(0)
    n = 731
    source = tmp_path / "fer.npz"
    np.savez_compressed(
        source,
        pixels=rng.integers(0, 256, (n, 48, 48), dtype=np.uint8),
        emotion=rng.integers(0, 7, n).astype(np.uint8),
        usage=rng.integers(0, 2, n).astype(np.uint8),
        names=np.array(["not carried"] * n),
    )
    portable.main(["pack", str(source), str(tmp_path / "packed")])
    assert len(list((tmp_path / "packed").glob("faces-*.png"))) == 3
    portable.main(["unpack", str(tmp_path / "packed"), str(tmp_path / "back.npz")])

    original, back = load_fer2013(source), load_fer2013(tmp_path / "back.npz")
    for split in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(back, split), getattr(original, split))
