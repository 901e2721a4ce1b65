"""The scene-mood model: EfficientNet-Lite0 (ImageNet) with a four-mood softmax.

Training runs in two pieces that share layer names: the frozen lower blocks
(`build_trunk`, run once per augmented view and cached) and the upper blocks
with the head (`build_top`, what is fitted). `build_scene_model` is the whole
chain the site serves, raw 0..255 RGB pixels in; `assemble` fills it with the
trunk's and the top's weights by layer name.
"""

import keras
from keras import layers

from ml_training.scene.backbone import (
    BLOCK_COUNT,
    IMAGE_SIZE,
    features,
    scaled_pixels,
)
from music.mood import MOODS


def build_trunk(split_block, image_size=IMAGE_SIZE):
    """Pixels -> the output of block split_block - 1 (frozen in training)."""
    pixels, x = scaled_pixels(image_size)
    return keras.Model(pixels, features(x, 0, split_block), name="trunk")


def _head(x, dropout):
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(len(MOODS), activation="softmax", name="mood")(x)


def build_top(split_block, input_shape, dropout=0.3):
    """What block split_block - 1 gave -> mood probabilities."""
    inputs = keras.Input(input_shape, name="trunk_output")
    return keras.Model(
        inputs, _head(features(inputs, split_block), dropout), name="top"
    )


def build_scene_model(dropout=0.3, image_size=IMAGE_SIZE):
    """float32 (N, 224, 224, 3) raw RGB -> (N, 4) probabilities in MOODS order."""
    pixels, x = scaled_pixels(image_size)
    return keras.Model(pixels, _head(features(x), dropout), name="scene_mood")


def assemble(*parts, dropout=0.3):
    """The whole model, each layer's weights taken from the part that has it."""
    model = build_scene_model(dropout)
    for part in parts:
        for layer in part.layers:
            if layer.weights:
                model.get_layer(layer.name).set_weights(layer.get_weights())
    return model


def _depth(name):
    """Where a layer sits: its block's index, the head conv after the blocks,
    the mood layer last; -1 for layers without weights to learn."""
    if name.startswith("block"):
        return int(name[len("block") :].split("_")[0])
    if name.startswith("head"):
        return BLOCK_COUNT
    return BLOCK_COUNT + 1 if name == "mood" else -1


def set_trainable(top, from_block):
    """Blocks from `from_block` on (BLOCK_COUNT: the head conv only; more: the
    mood layer only) learn. Batch-norm layers stay in inference mode: 2,000
    photos are too few to move their ImageNet statistics without harm."""
    for layer in top.layers:
        learning = _depth(layer.name) >= from_block
        layer.trainable = learning and not isinstance(layer, layers.BatchNormalization)
