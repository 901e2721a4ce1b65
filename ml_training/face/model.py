"""The emotion model: a trimmed Xception for 48×48 gray faces, or an
ImageNet-pretrained EfficientNet-Lite0 that reads them at a larger size.

Xception's ideas at FER scale: a plain-conv stem, an entry flow of
depthwise-separable blocks that halve the resolution with a strided 1×1
residual shortcut, a middle flow of identity-shortcut separable blocks, then
global average pooling and softmax. Pixels go in raw (0..255); the Rescaling
layer inside makes the saved file self-contained.
"""

import keras
from keras import layers

from faces.emotions import EMOTIONS

# Sized for what 2 CPU cores train in about an hour (~75 s an epoch idle);
# see docs/emotion-model.md for the measurements behind it. 397k parameters.
COMPACT = {
    "stem_filters": [16, 16],
    "entry_filters": [32, 64, 128, 256],
    "middle_blocks": 1,
    "exit_filters": 0,
    "dropout": 0.3,
}

# Named sizes of the trimmed Xception (build_emotion_model's arguments).
ARCHITECTURES = {
    "compact": COMPACT,
    # The compact model with four middle blocks and a 512-filter exit: 1.15M
    # parameters, about twice its time a face, so that one of it beside
    # three compact members stays within 5 ms a face. The extra layers work
    # on the smallest maps: an epoch takes ~95 s against ~75 (idle).
    "deep": {**COMPACT, "middle_blocks": 4, "exit_filters": 512},
    # Wider where the maps are small (192 and 384 filters in the last two
    # entry blocks, two middle blocks): 1.51M parameters, ~1.15× deep's time
    # a face. Tried as another shape for the ensemble (the issue's "seeds or
    # widths"): from random weights it learns faster than deep, but its member
    # errs on PublicTest as much like the shipped ones as a deep member with
    # the same teacher does (docs/emotion-experiments.md, *Member u*).
    "broad": {
        **COMPACT,
        "entry_filters": [32, 64, 192, 384],
        "middle_blocks": 2,
        "exit_filters": 512,
    },
    # For a GPU: ~1500 s an epoch on the 2 CPU cores. 1.67M parameters, under
    # the 2M that the face model may have, but 6.2 ms a face in LiteRT here
    # against the compact model's 0.9 (budget: 1 ms): a teacher to distil
    # from, not a model to serve (docs/emotion-model.md, "Training on a GPU").
    "wide": {
        "stem_filters": [32, 64],
        "entry_filters": [128, 256, 384],
        "middle_blocks": 2,
        "exit_filters": 512,
        "dropout": 0.3,
    },
    # EfficientNet-Lite0 from ImageNet (ml_training/scene/backbone.py reads its
    # weights without the internet), the face upscaled to 64 px inside the
    # model and repeated into three channels: what most published FER2013
    # results above 72% start from. 3.4M parameters (a pretrained member may
    # have 4M). Train it under KERAS_BACKEND=torch: TensorFlow's CPU build
    # crashed training at 64 px (docs/emotion-model.md).
    "pretrained": {
        "backbone": "efficientnet_lite0",
        "image_size": 64,
        "dropout": 0.3,
    },
}


def _sepconv_bn(x, filters, activation_first=True):
    if activation_first:
        x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
    return layers.BatchNormalization()(x)


def _entry_block(x, filters):
    shortcut = layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False)(x)
    shortcut = layers.BatchNormalization()(shortcut)
    x = _sepconv_bn(x, filters)
    x = _sepconv_bn(x, filters)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    return layers.Add()([x, shortcut])


def _middle_block(x, filters):
    shortcut = x
    for _ in range(3):
        x = _sepconv_bn(x, filters)
    return layers.Add()([x, shortcut])


def build_emotion_model(*, backbone="trimmed_xception", name=None, **sizes):
    """One of ARCHITECTURES by its arguments: 48×48×1 raw pixels in, 7 softmax out."""
    if backbone == "efficientnet_lite0":
        return build_pretrained_model(**sizes, name=name or "efficientnet_lite0_fer")
    return build_trimmed_xception(**sizes, name=name or "trimmed_xception")


def build_pretrained_model(image_size=64, dropout=0.3, name="efficientnet_lite0_fer"):
    """EfficientNet-Lite0's layers (named as ml_training.scene.backbone names
    them, so its ImageNet weights load by name) on an upscaled gray face."""
    from ml_training.scene import backbone

    inputs = keras.Input((48, 48, 1), name="face")
    x = layers.Resizing(image_size, image_size, name="upscale")(inputs)
    x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
    x = layers.Rescaling(
        1 / backbone.PIXEL_STD, -backbone.PIXEL_MEAN / backbone.PIXEL_STD, name="scale"
    )(x)
    x = layers.GlobalAveragePooling2D(name="pool")(backbone.features(x))
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(len(EMOTIONS), activation="softmax", name="emotion")(x)
    return keras.Model(inputs, outputs, name=name)


def load_imagenet_weights(model, weights_path):
    """Copy the ImageNet trunk's weights (a converted .weights.h5 of
    ml_training.scene.backbone) into a pretrained emotion model, layer by name."""
    from ml_training.scene import backbone

    trunk = backbone.build_backbone(image_size=64)
    trunk.load_weights(weights_path)
    copied = 0
    for layer in trunk.layers:
        if layer.weights and layer.name not in ("scale",):
            model.get_layer(layer.name).set_weights(layer.get_weights())
            copied += 1
    return copied


def build_trimmed_xception(
    stem_filters,
    entry_filters,
    middle_blocks=0,
    exit_filters=0,
    dropout=0.3,
    name="trimmed_xception",
):
    """A pure function of its hyper-parameters; 48×48×1 in, 7 softmax out."""
    inputs = keras.Input((48, 48, 1), name="face")
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    for filters in stem_filters:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    for filters in entry_filters:
        x = _entry_block(x, filters)
    for _ in range(middle_blocks):
        x = _middle_block(x, entry_filters[-1])
    if exit_filters:
        x = _sepconv_bn(x, exit_filters)
        x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(len(EMOTIONS), activation="softmax", name="emotion")(x)
    return keras.Model(inputs, outputs, name=name)
