"""The mood model: a few small MLPs averaged, behind their own normalisation.

Backend-neutral Keras 3 (no tf.* calls), so it trains under any backend.
The first layer is a Normalization adapted on the training rows it is given
and nothing else: the saved .keras file takes raw features, and a model built
inside a cross-validation fold never sees its test fold's statistics.
"""

from dataclasses import asdict, dataclass

import keras
import numpy as np

from music.moods import MOODS


@dataclass(frozen=True)
class ModelConfig:
    hidden: tuple = (32,)  # units per hidden layer of each member
    members: int = 5  # independently initialised MLPs whose outputs are averaged
    dropout: float = 0.2
    l2: float = 1e-4
    learning_rate: float = 1e-3
    batch_size: int = 32
    epochs: int = 150

    def as_dict(self):
        return {**asdict(self), "hidden": list(self.hidden)}


def build_models(config, adapt_data):
    """(inference model, training model) sharing their layers.

    The members are stacked along an axis of EinsumDense layers (a Dense
    layer per member, computed together): one small graph instead of one
    per member. The training model outputs every member's probabilities and
    is fitted on the mean of their losses, so members learn independently
    (a seed-average inside one file); the inference model averages them.
    """
    adapt_data = np.asarray(adapt_data, dtype=np.float32)
    inputs = keras.Input(shape=(adapt_data.shape[1],), name="features")
    normalizer = keras.layers.Normalization(name="normalization")
    normalizer.adapt(adapt_data)
    x = normalizer(inputs)
    members = config.members
    # The loss is a mean over members, so each member's own weight penalty
    # is scaled down to keep the penalty-to-data ratio of a lone MLP.
    regularizer = keras.regularizers.L2(config.l2 / members) if config.l2 else None
    equation = "bf,mfh->bmh"
    fan_in = adapt_data.shape[1]
    for depth, units in enumerate(config.hidden):
        x = keras.layers.EinsumDense(
            equation,
            output_shape=(members, units),
            bias_axes="mh",
            activation="relu",
            kernel_initializer=member_glorot(fan_in, units),
            kernel_regularizer=regularizer,
            name=f"hidden{depth}",
        )(x)
        fan_in = units
        if config.dropout:
            x = keras.layers.Dropout(config.dropout, name=f"dropout{depth}")(x)
        equation = "bmf,mfh->bmh"
    logits = keras.layers.EinsumDense(
        equation,
        output_shape=(members, len(MOODS)),
        bias_axes="mh",
        kernel_initializer=member_glorot(fan_in, len(MOODS)),
        name="logits",
    )(x)
    member_probabilities = keras.layers.Softmax(name="member_probabilities")(logits)
    probabilities = keras.layers.GlobalAveragePooling1D(name="mood")(
        member_probabilities
    )
    inference = keras.Model(inputs, probabilities, name="mood_mlp")
    training = keras.Model(inputs, member_probabilities, name="mood_mlp_members")
    return inference, training


def member_glorot(fan_in, fan_out):
    """Glorot-uniform for each member's (fan_in, fan_out) slice of a kernel.

    Explicit limits, because Keras versions disagree on the fans of a rank-3
    EinsumDense kernel (older ones count the member axis into both).
    """
    limit = float(np.sqrt(6.0 / (fan_in + fan_out)))
    return keras.initializers.RandomUniform(minval=-limit, maxval=limit)


def fit_model(config, features, labels, *, seed, epochs=None):
    """A trained inference model; seeded so the same call gives the same model."""
    keras.utils.set_random_seed(seed)
    inference, training = build_models(config, features)
    training.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="sparse_categorical_crossentropy",
        # Many small steps per compiled call: the per-step Python overhead,
        # not the arithmetic, dominates a net this size. Torch allows only 1.
        steps_per_execution=1 if keras.backend.backend() == "torch" else 32,
    )
    # All epochs as one pass over pre-shuffled copies of the data: the same
    # sample order as epoch-wise shuffling, without Keras' per-epoch setup,
    # which costs more than an epoch's arithmetic on ~700 rows.
    order = np.concatenate(
        [
            np.random.default_rng(seed + e).permutation(len(labels))
            for e in range(epochs or config.epochs)
        ]
    )
    features = np.asarray(features, dtype=np.float32)[order]
    labels = np.asarray(labels)[order]
    training.fit(
        features,
        np.repeat(labels[:, None], config.members, axis=1),  # one per member
        epochs=1,
        batch_size=config.batch_size,
        shuffle=False,
        verbose=0,
    )
    return inference


def predict_proba(model, features, batch_size=65_536):
    features = np.asarray(features, dtype=np.float32)
    parts = [
        keras.ops.convert_to_numpy(model(features[start : start + batch_size]))
        for start in range(0, len(features), batch_size)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, len(MOODS)), np.float32)


def parameter_count(model):
    return int(model.count_params())


def normalization_statistics(model):
    """(mean, variance) the model's Normalization layer was adapted to."""
    layer = model.get_layer("normalization")
    return (
        np.ravel(keras.ops.convert_to_numpy(layer.mean)),
        np.ravel(keras.ops.convert_to_numpy(layer.variance)),
    )
