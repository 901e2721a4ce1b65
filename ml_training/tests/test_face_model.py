import numpy as np
import pytest

from faces.classifier import EMOTIONS
from ml_training.face.model import ARCHITECTURES, build_emotion_model


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("compact", 397_287),
        ("deep", 1_154_279),
        ("broad", 1_506_407),
        ("wide", 1_667_559),
    ],
)
def test_named_architectures_have_the_expected_shapes_and_size(name, parameters):
    model = build_emotion_model(**ARCHITECTURES[name])
    assert model.input_shape == (None, 48, 48, 1)
    assert model.output_shape == (None, len(EMOTIONS))
    assert model.count_params() == parameters <= 2_000_000


def test_raw_pixels_in_probabilities_out():
    model = build_emotion_model(
        stem_filters=(4,), entry_filters=(8, 16), middle_blocks=1
    )
    faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48, 1)).astype("float32")
    probabilities = np.asarray(model(faces, training=False))
    assert probabilities.shape == (3, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_entry_flow_halves_the_resolution_per_block():
    model = build_emotion_model(
        stem_filters=(4,), entry_filters=(8, 16, 32), middle_blocks=0, exit_filters=0
    )
    pooled = model.get_layer(index=-3)  # GlobalAveragePooling2D's input side
    assert pooled.input.shape[1:] == (6, 6, 32)


def test_the_pretrained_member_takes_the_imagenet_trunk_by_layer_name(tmp_path):
    from ml_training.face.model import load_imagenet_weights
    from ml_training.scene import backbone

    model = build_emotion_model(**ARCHITECTURES["pretrained"])
    assert model.input_shape == (None, 48, 48, 1)
    assert model.output_shape == (None, len(EMOTIONS))
    # A pretrained member may have 4M parameters.
    assert model.count_params() == 3_421_991 <= 4_000_000
    # Stand-in "ImageNet" weights: a trunk of its own random initialisation.
    trunk = backbone.build_backbone(image_size=64)
    trunk.save_weights(tmp_path / "trunk.weights.h5")
    assert load_imagenet_weights(model, tmp_path / "trunk.weights.h5") == len(
        [layer for layer in trunk.layers if layer.weights]
    )
    for name in ("stem", "block7_expand", "head"):
        for ours, theirs in zip(
            model.get_layer(name).get_weights(),
            trunk.get_layer(name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(ours, theirs)
