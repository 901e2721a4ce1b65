"""The shipped emotion reading: trained members averaged into one model file.

Each member is a run of train_face_model published into its own folder
(saved_models/members/<name>/emotion_model.keras with its report). The
ensemble is one Keras model whose output is the mean of the members'
probabilities, exported as the one emotion_model.tflite the site serves, so
the runtime needs no notion of members. The mirror image is averaged in at
run time (faces.classifier.DEFAULT_FLIP_TTA): the report measures the file
through the site's own EmotionClassifier, so its figures are what visitors get.

Averaging makes the answers less sure than they are right (the members agree
on the easy faces and split on the hard ones), so the members' final layers
are scaled by one temperature, chosen on PublicTest for the lowest log loss of
the reading as served (mirror included): the bars the site shows then mean
what they say. Scaling a softmax layer's weights by 1/T is softmax(logits/T),
so the file needs no extra layer.

Averaged members also answer neutral more often than faces are neutral (733
times on PublicTest's 607 neutral faces for members a, b and c), and a
reading that hides in neutral swallows angry, sad and fear. So each member's
neutral logit is lowered by one offset, chosen on PublicTest so that the
reading as served says neutral as often as its faces are neutral: a shift of
the answer towards the emotions shown, not a change in what the members saw.
It too lives in the softmax layer (its bias), after the temperature.

FER2013's classes are far from even (disgust is 1.5% of its training faces,
happy 25%), and a network learns that prior: it reads a posed disgust as
angry because on FER2013 disgust is rarely the right answer. Photos from
elsewhere (the posed sets the project measures have every emotion about
equally often) need a reading that does not bet on FER2013's mix. So each
logit is moved by -strength * log(the emotion's share of the training
faces) (logit adjustment: at strength 1 the reading of a balanced-prior
classifier), the strength chosen on PublicTest for the lowest *balanced* log
loss (each emotion's faces weigh the same), before the neutral offset.

`--int8` stores the file's weights and activations as 8-bit integers, their
ranges measured on CALIBRATION_FACES training faces and their mirror images:
LiteRT then reads a face 1.3 to 1.7 times as fast (members j and m with the
mirror, one thread: 3.06 -> 2.38 ms in one benchmark run, 4.19 -> 2.46 in
another) and the reading moves by a few faces on PublicTest and CK+, within
noise (docs/emotion-experiments.md, *Eight-bit numbers*). The report is
measured on the int8 file, as served.
"""

import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np
from keras import layers

from faces.classifier import DEFAULT_FLIP_TTA, EMOTIONS, KERAS_FILE, EmotionClassifier
from ml_training import artifacts
from ml_training.face import evaluation
from ml_training.face.data import load_fer2013
from ml_training.face.model import build_emotion_model
from ml_training.face.training import (
    CONFUSION_FILE,
    MODEL_FILE,
    REPORT_FILE,
    TFLITE_FILE,
    export_tflite,
    face_sets,
)

# Faces timed one at a time for the report's cost per face (batch of 1, one
# thread: a single-face photo, the commonest upload).
TIMED_FACES = 300


# Training faces (each with its mirror image) whose activations set an int8
# file's ranges. With 400, three readings' CK+ moved -0.65 to +0.11 points
# from float32; with 2,000, j+m's +0.33 (noise either way; more faces cost
# only seconds of conversion).
CALIBRATION_FACES = 2000
CALIBRATION_SEED = 0


# Temperatures tried: sharper (below 1) to softer (above 1).
TEMPERATURES = np.round(np.arange(0.5, 1.51, 0.02), 2)
# Strengths of the move towards a balanced prior tried (0: FER2013's prior;
# below 0 for members that already over-answer the rare emotions).
PRIOR_SHIFTS = np.round(np.arange(-0.5, 1.51, 0.05), 2)
# Offsets of the neutral logit tried, after the temperature and the prior
# shift, smallest first (a tie goes to the smaller move).
NEUTRAL_OFFSETS = sorted(np.round(np.arange(-2.0, 1.01, 0.05), 2), key=abs)
NEUTRAL = EMOTIONS.index("neutral")


@dataclass(frozen=True)
class Reading:
    """How the members' logits become the served probabilities: softmax(
    logits / temperature + offsets), where offsets move every emotion by the
    prior shift and neutral by its own offset besides."""

    temperature: float = 1.0
    prior_shift: float = 0.0
    neutral_offset: float = 0.0
    class_prior: tuple = (1 / len(EMOTIONS),) * len(EMOTIONS)

    @property
    def offsets(self):
        offsets = prior_offsets(self.class_prior, self.prior_shift)
        offsets[NEUTRAL] += self.neutral_offset
        return offsets


def class_prior(labels):
    """Each emotion's share of the faces `labels` name."""
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype("float64")
    return tuple(float(share) for share in counts / counts.sum())


def prior_offsets(prior, strength):
    """-strength * log(prior), centred: rare emotions up, common ones down."""
    offsets = -strength * np.log(np.asarray(prior, dtype="float64"))
    return offsets - offsets.mean()


def build_ensemble(members, reading=Reading()):
    """[(Keras model 48x48x1 -> 7, its architecture)] -> one model averaging
    their outputs, each member's softmax as `reading` says."""
    inputs = keras.Input((48, 48, 1), name="face")
    outputs = [
        _renamed(model, architecture, f"member_{i}", reading)(inputs)
        for i, (model, architecture) in enumerate(members)
    ]
    if len(outputs) > 1:
        outputs = layers.Average(name="emotion")(outputs)
    else:
        outputs = outputs[0]
    return keras.Model(inputs, outputs, name="emotion_ensemble")


def _renamed(model, architecture, name, reading):
    """A copy under its own name (a functional model's layers need unique
    names, and members of one architecture share theirs), its softmax layer
    at the reading's temperature, its logits moved by the reading's offsets."""
    copy = build_emotion_model(**architecture, name=name)
    copy.set_weights(model.get_weights())
    head = copy.get_layer("emotion")
    kernel, bias = (weight / reading.temperature for weight in head.get_weights())
    head.set_weights([kernel, bias + reading.offsets.astype(bias.dtype)])
    return copy


def average_weights(models):
    """One copy of the first model holding every weight's mean over `models`,
    batch-norm statistics included (a "weight soup", Wortsman et al. 2022).

    It answers like an ensemble at one member's cost only when the models lie
    in one basin, as members distilled one from another's weights do (g, h,
    i, j, k, l); models trained from separate random starts average into a
    network that reads nothing.
    """
    soup = keras.models.clone_model(models[0])
    weights_by_model = [model.get_weights() for model in models]
    soup.set_weights(
        [np.mean(weights, axis=0) for weights in zip(*weights_by_model, strict=True)]
    )
    return soup


def member_logits(model, faces):
    """The inputs of a member's softmax for uint8 (N, 48, 48) faces and their
    mirror images: two (N, 7) arrays."""
    head = model.get_layer("emotion")
    features = keras.Model(model.inputs, head.input)
    kernel, bias = head.get_weights()
    x = faces[..., np.newaxis].astype("float32")
    return [
        np.asarray(features.predict(view, batch_size=256, verbose=0)) @ kernel + bias
        for view in (x, x[:, :, ::-1])
    ]


def served_probabilities(logits, reading, flip=True):
    """What the ensemble file answers, from its members' logits.

    logits: per member, (logits of the faces, logits of their mirror images,
    and of any further views measured); without `flip` only the faces."""
    return np.mean(
        [
            _softmax(view / reading.temperature + reading.offsets)
            for views in logits
            for view in (views if flip else views[:1])
        ],
        axis=0,
    )


def fit_temperature(logits, labels, flip=True):
    """The temperature with the lowest log loss of the served reading."""

    def log_loss(temperature):
        served = served_probabilities(logits, Reading(temperature), flip=flip)
        chosen = served[np.arange(len(labels)), labels]
        return float(-np.log(chosen + 1e-7).mean())

    return float(min(TEMPERATURES, key=log_loss))


def fit_prior_shift(logits, labels, reading, flip=True):
    """The strength of the move towards a balanced prior with the lowest
    balanced log loss: the mean over emotions of their faces' log loss."""
    present = [emotion for emotion in range(len(EMOTIONS)) if (labels == emotion).any()]

    def balanced_log_loss(strength):
        shifted = replace(reading, prior_shift=strength, neutral_offset=0.0)
        served = served_probabilities(logits, shifted, flip)
        chosen = -np.log(served[np.arange(len(labels)), labels] + 1e-7)
        return float(np.mean([chosen[labels == emotion].mean() for emotion in present]))

    return float(min(PRIOR_SHIFTS, key=balanced_log_loss))


def fit_neutral_offset(logits, labels, reading, flip=True):
    """The neutral offset, on top of `reading`'s prior shift, with which the
    served reading says neutral as often as the faces are neutral (the
    smallest such shift on a tie)."""
    neutral_faces = int((labels == NEUTRAL).sum())

    def miss(offset):
        served = served_probabilities(
            logits, replace(reading, neutral_offset=offset), flip
        )
        return abs(int((served.argmax(axis=1) == NEUTRAL).sum()) - neutral_faces)

    return float(min(NEUTRAL_OFFSETS, key=miss))


def fit_reading(logits, labels, prior, flip=True):
    """Temperature, prior shift and neutral offset, fitted in that order on
    one face set (PublicTest) for members trained on faces with `prior`."""
    reading = Reading(fit_temperature(logits, labels, flip), class_prior=tuple(prior))
    reading = replace(
        reading, prior_shift=fit_prior_shift(logits, labels, reading, flip)
    )
    return replace(
        reading, neutral_offset=fit_neutral_offset(logits, labels, reading, flip)
    )


def fit_and_measure(logits_by_set, sets, prior):
    """A reading fitted and measured as served, from its members' logits on
    each face set (`logits_by_set[name]`, as served_probabilities takes them):
    fitted on the first set (PublicTest), then {set name: (accuracy, expected
    calibration error)}."""
    reading = fit_reading(logits_by_set[sets[0].name], sets[0].labels, prior)
    figures = {}
    for face_set in sets:
        served = served_probabilities(logits_by_set[face_set.name], reading)
        figures[face_set.name] = (
            float((served.argmax(axis=1) == face_set.labels).mean()),
            evaluation.expected_calibration_error(served, face_set.labels),
        )
    return reading, figures


def _softmax(logits):
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def load_member(folder):
    """A member's model (without optimizer) and its training report."""
    folder = Path(folder)
    model_path, report_path = folder / MODEL_FILE, folder / REPORT_FILE
    for path in (model_path, report_path):
        if not path.is_file():
            raise FileNotFoundError(f"Not a trained member: {path} does not exist.")
    model = keras.saving.load_model(model_path, compile=False)
    return model, json.loads(report_path.read_text())


def publish_ensemble(member_folders, output_dir, data_path, int8=False):
    """Average the members, measure the result as served, and publish it
    (int8: as 8-bit integers, see above)."""
    loaded = [load_member(folder) for folder in member_folders]
    splits = load_fer2013(data_path)
    logits = [member_logits(model, splits.x_val) for model, _ in loaded]
    reading = fit_reading(
        logits, splits.y_val, class_prior(splits.y_train), flip=DEFAULT_FLIP_TTA
    )
    ensemble = build_ensemble(
        [(model, report["architecture"]) for model, report in loaded], reading
    )
    sets = face_sets(splits, data_path)
    with tempfile.TemporaryDirectory() as staging:
        staging = Path(staging)
        export_tflite(
            ensemble,
            staging / TFLITE_FILE,
            calibration_faces(splits.x_train) if int8 else None,
        )
        served = EmotionClassifier(staging)
        metrics = evaluation.measure_reading(served.predict_proba, sets)
        ms_per_face = _ms_per_face(served, splits.x_val)
        report = _report(
            ensemble, loaded, member_folders, metrics, ms_per_face, served, splits
        )
        report["weights"] = "int8" if int8 else "float32"
        report["temperature"] = reading.temperature
        report["prior_shift"] = reading.prior_shift
        report["neutral_offset"] = reading.neutral_offset
        report["logit_offsets"] = dict(
            zip(EMOTIONS, np.round(reading.offsets, 4).tolist(), strict=True)
        )
        tflite_bytes = (staging / TFLITE_FILE).read_bytes()
    accuracy = report["public_test_accuracy"]
    artifacts.write_together(
        output_dir,
        {
            KERAS_FILE: ensemble.save,
            TFLITE_FILE: lambda path: Path(path).write_bytes(tflite_bytes),
            CONFUSION_FILE: lambda path: artifacts.plot_confusion_matrix(
                report["confusion_matrix"],
                EMOTIONS,
                path,
                title=f"Emotion reading on PublicTest: accuracy {accuracy:.1%}",
            ),
            REPORT_FILE: lambda path: artifacts.write_json(path, report),
        },
    )
    return report


def calibration_faces(train_faces):
    """The faces an int8 file's ranges are measured on: a seeded draw of
    training faces, each beside its mirror image (the site reads both)."""
    rng = np.random.default_rng(CALIBRATION_SEED)
    count = min(CALIBRATION_FACES, len(train_faces))
    drawn = train_faces[rng.choice(len(train_faces), count, replace=False)]
    return np.concatenate([drawn, drawn[:, :, ::-1]])


def _ms_per_face(classifier, faces):
    classifier.predict_proba(faces[:1])  # warm-up: lazy allocations
    times = []
    for face in faces[:TIMED_FACES]:
        began = time.perf_counter()
        classifier.predict_proba(face[np.newaxis])
        times.append(time.perf_counter() - began)
    return float(np.median(times) * 1e3)


def _report(ensemble, loaded, member_folders, metrics, ms_per_face, served, splits):
    public = metrics["PublicTest"]
    return {
        "version": f"{time.strftime('%Y%m%d-%H%M%S')}-{splits.sha256[:8]}",
        "model": (
            f"ensemble of {_members_by_kind(loaded)}"
            + (" + mirror image" if served.flip_tta else "")
        ),
        "flip_tta": served.flip_tta,
        "parameters": int(ensemble.count_params()),
        "emotions": list(EMOTIONS),
        "public_test_accuracy": public["accuracy"],
        "public_test_mean_recall": public["mean_recall"],
        "public_test_size": int(len(splits.y_val)),
        "per_class": public["per_class"],
        "confusion_matrix": public["confusion_matrix"],
        "expected_calibration_error": public["expected_calibration_error"],
        "ckplus": metrics.get("CK+"),
        "ms_per_face": round(ms_per_face, 3),
        "training_seconds": round(
            sum(report.get("training_seconds", 0.0) for _, report in loaded), 1
        ),
        "backend": sorted({report.get("backend", "?") for _, report in loaded}),
        "members": [
            {
                "folder": str(folder),
                "version": report.get("version"),
                "parameters": report.get("parameters"),
                "public_test_accuracy": report.get("public_test_accuracy"),
                "ckplus_accuracy": (report.get("ckplus") or {}).get("accuracy"),
                "epochs_trained": report.get("epochs_trained"),
                "training_seconds": report.get("training_seconds"),
                "backend": report.get("backend"),
                "recipe": {
                    key: value
                    for key, value in report.get("config", {}).items()
                    if key not in ("data", "output_dir", "checkpoint_dir")
                },
            }
            for folder, (_, report) in zip(member_folders, loaded, strict=True)
        ],
        "data_sha256": splits.sha256,
        "train_size": int(len(splits.y_train)),
        "git_commit": artifacts.git_commit(),
    }


def _members_by_kind(loaded):
    """ "2 trimmed Xception, 1 EfficientNet-Lite0 (ImageNet)"."""
    kinds = [report.get("model", "?") for _, report in loaded]
    return ", ".join(f"{kinds.count(kind)} {kind}" for kind in dict.fromkeys(kinds))
