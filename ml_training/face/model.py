"""The emotion model: a trimmed Xception for 48×48 gray faces.

Xception's ideas at FER scale: a plain-conv stem, an entry flow of
depthwise-separable blocks that halve the resolution with a strided 1×1
residual shortcut, a middle flow of identity-shortcut separable blocks, then
global average pooling and softmax. Pixels go in raw (0..255); the Rescaling
layer inside makes the saved file self-contained.
"""

import keras
from keras import layers

from faces.classifier import EMOTIONS


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


def build_emotion_model(
    stem_filters=(32, 64),
    entry_filters=(128, 256, 384),
    middle_blocks=2,
    exit_filters=512,
    dropout=0.3,
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
    return keras.Model(inputs, outputs, name="trimmed_xception")
