"""Helpers the tests of every app share: test photos, song rows, a tiny emotion model.

Fixtures built on these live in the root conftest.py.
"""

import io
import itertools
import json
import string

import numpy as np
from PIL import Image

from music.features import REQUIRED_FEATURES

MOOD_MODEL_FEATURES = (*REQUIRED_FEATURES, "duration_ms", "key")
MOOD_MODEL_MEANS = {name: 0.5 for name in REQUIRED_FEATURES} | {
    "duration_ms": 2e5,
    "key": 5.0,
}
BASE62 = string.digits + string.ascii_letters
_song_numbers = itertools.count(1_000_000)

# Middle-of-the-road audio features: enough for a song to count as recommendable.
PLAIN_FEATURES = {
    "danceability": 0.5,
    "acousticness": 0.5,
    "energy": 0.5,
    "instrumentalness": 0.0,
    "liveness": 0.1,
    "valence": 0.5,
    "loudness": -6.0,
    "speechiness": 0.05,
    "tempo": 110.0,
}


def spotify_id(n):
    """A valid 22-character base62 Spotify id, distinct for each n."""
    digits = []
    for _ in range(22):
        n, rest = divmod(n, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits))


def make_song(**fields):
    """A classified song with features; any field can be overridden."""
    from music.models import Song

    n = next(_song_numbers)
    values = {
        "spotify_id": spotify_id(n),
        "name": f"Song {n}",
        "artists": f"Artist {n}",
        "album": f"Album {n}",
        "predicted_mood": "happy",
        "mood_confidence": 0.8,
        "mood_score": (n % 97) / 97,
        **PLAIN_FEATURES,
    }
    values.update(fields)
    return Song.objects.create(**values)


def encode_image(rgb, format="PNG", **options):
    """RGB pixels -> the bytes of an image file, as an upload would carry."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format, **options)
    return buffer.getvalue()


def build_tiny_emotion_model(models_dir):
    """A tiny untrained model with the shipped emotion model's inputs and outputs.

    Input (48, 48, 1) raw 0..255 -> Rescaling -> conv -> pooling -> softmax(7),
    saved as .keras and .tflite with a metrics JSON, so tests never depend on
    the trained weights in saved_models/.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    inputs = keras.Input((48, 48, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(7, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.save(models_dir / "emotion_model.keras")
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    (models_dir / "emotion_model.tflite").write_bytes(tflite)
    (models_dir / "emotion_model.json").write_text(json.dumps({"version": "tiny-1"}))
    return models_dir


def build_broken_emotion_model(models_dir, fault):
    """A .tflite with the emotion model's shapes that loads but cannot serve.

    fault="nan": every answer is NaN (weights of NaN). fault="fails": it
    reshapes to a fixed batch of one, so LiteRT refuses to run it on the
    batches the site sends (a face and its mirror image are already two).
    """
    import keras
    import tensorflow as tf

    inputs = keras.Input((48, 48, 1))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(7, activation="softmax")
    outputs = dense(x)
    if fault == "fails":
        outputs = keras.layers.Lambda(lambda t: keras.ops.reshape(t, (1, 7)))(outputs)
    model = keras.Model(inputs, outputs)
    if fault == "nan":
        kernel, bias = dense.get_weights()
        dense.set_weights([np.full_like(kernel, np.nan), bias])
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    (models_dir / "emotion_model.tflite").write_bytes(tflite)
    (models_dir / "emotion_model.json").write_text(json.dumps({"version": fault}))
    return models_dir


def build_tiny_scene_model(models_dir):
    """A stand-in scene model with the shipped one's inputs and outputs and a
    mood anyone can predict: mean red -> energetic, green -> happy, blue ->
    calm, dark -> sad (224x224x3 raw 0..255 -> softmax over MOODS)."""
    import keras
    import tensorflow as tf

    from music.mood import MOODS

    inputs = keras.Input((224, 224, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    dense = keras.layers.Dense(len(MOODS), activation="softmax")
    outputs = dense(x)
    weights = np.zeros((3, len(MOODS)), np.float32)
    for channel, mood in enumerate(("energetic", "happy", "calm")):
        weights[channel, MOODS.index(mood)] = 8.0
    bias = np.zeros(len(MOODS), np.float32)
    bias[MOODS.index("sad")] = 2.0
    dense.set_weights([weights, bias])
    model = keras.Model(inputs, outputs)
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    (models_dir / "scene_model.tflite").write_bytes(tflite)
    (models_dir / "scene_model.json").write_text(json.dumps({"version": "tiny-scene"}))
    return models_dir


def build_tiny_mood_model(directory, *, favour=None, version="test-v1"):
    """A tiny self-contained model (+ JSON) written like train_mood_model does.

    favour=None: the mood follows valence and energy (calm low/low, happy
    high valence, energetic high energy, sad low valence), nudged a little by
    duration and key; favour="sad": every song is predicted sad.
    """
    import keras

    from music.moods import MOODS

    inputs = keras.Input(shape=(len(MOOD_MODEL_FEATURES),))
    normalizer = keras.layers.Normalization(
        mean=[MOOD_MODEL_MEANS[name] for name in MOOD_MODEL_FEATURES],
        variance=[0.04] * len(REQUIRED_FEATURES) + [1e10, 16.0],
    )
    output = keras.layers.Dense(len(MOODS), activation="softmax")
    model = keras.Model(inputs, output(normalizer(inputs)))
    kernel = np.zeros((len(MOOD_MODEL_FEATURES), len(MOODS)), dtype=np.float32)
    bias = np.zeros(len(MOODS), dtype=np.float32)
    if favour is None:
        valence, energy, duration, key = (
            MOOD_MODEL_FEATURES.index(name)
            for name in ("valence", "energy", "duration_ms", "key")
        )
        kernel[valence] = [-1, 2, 0, -2]
        kernel[energy] = [-2, 0, 2, 0]
        # Small weights, but not zero: a wrong or missing duration or key
        # changes the probabilities, so tests of filling them can fail.
        kernel[duration] = [0.3, 0, 0, 0]  # long songs a little calmer
        kernel[key] = [0, 0, 0.3, 0]
    else:
        bias[MOODS.index(favour)] = 10.0
    output.set_weights([kernel, bias])
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / "mood_model.keras")
    metadata = {
        "version": version,
        "classes": list(MOODS),
        "features": list(MOOD_MODEL_FEATURES),
        "feature_means": MOOD_MODEL_MEANS,
    }
    (directory / "mood_model.json").write_text(json.dumps(metadata))
    return directory / "mood_model.keras"


def listener_profile():
    """A connected listener's taste (music.taste): artists with and without
    genres, a name with a comma inside, and top tracks' artists."""
    from music.taste import build_profile

    return build_profile(
        [
            {"id": "a1", "name": "Tyler, The Creator", "genres": ["hip hop", "rap"]},
            {"id": "a2", "name": "Björk", "genres": ["art pop", "icelandic pop"]},
            {"id": "a3", "name": "Röyksopp", "genres": []},
        ],
        [
            {"id": "t1", "artists": [{"name": "Artist 1"}, {"name": "Björk"}]},
            {"id": "t2", "artists": [{"name": "  Somebody   Else "}]},
            {"id": "t1", "artists": []},
        ],
    )
