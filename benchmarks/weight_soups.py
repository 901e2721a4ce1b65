"""Can averaged weights stand in for an averaged answer? Weight soups, measured.

    .venv/bin/python benchmarks/weight_soups.py \
        saved_models/members/emotion_{h,i,j,k,l}

Members distilled one from another's weights (g -> h -> ... -> l) may lie in
one basin, where the mean of their weights (`ensemble.average_weights`) reads
like their ensemble at one member's cost a face. Give the members in the
order they were trained; the script prints each member alone, the ensemble
of all, and the soup of every run of two or more neighbours, each read as
`publish_emotion_ensemble` would serve it (temperature, prior shift and
neutral offset fitted on PublicTest, mirror image averaged in).

`--partner FOLDER` (repeatable) also reads each soup beside a member from
another basin (m, say) as a two-network ensemble: a soup of the chain costs
one network, so soup + partner costs what the shipped pair does.

`--recompute-batch-norm` also measures each soup with its batch-norm
statistics measured again on FER2013's training faces and their mirrors
(no augmentation), in place of the members' averaged statistics.

A PublicTest accuracy has a standard error of about 0.8 points, CK+ about
1.4; soups are chosen on PublicTest only.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402

harness.setup_django()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ml_training.face import ensemble  # noqa: E402
from ml_training.face.data import load_fer2013  # noqa: E402
from ml_training.face.training import face_sets  # noqa: E402

BATCH = 256


def recompute_batch_norm(model, faces):
    """Each batch-norm layer's statistics as the running mean over the
    faces' batches: momentum i / (i + 1) on the i-th batch."""
    x = faces[..., np.newaxis].astype("float32")
    x = np.concatenate([x, x[:, :, ::-1]])
    x = x[np.random.default_rng(0).permutation(len(x))]
    norms = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    momenta = [layer.momentum for layer in norms]
    for i, start in enumerate(range(0, len(x), BATCH)):
        for layer in norms:
            layer.momentum = i / (i + 1)
        # Training mode updates the statistics; the dropout it also turns on
        # sits after the last batch norm, so it does not reach them.
        model(x[start : start + BATCH], training=True)
    for layer, momentum in zip(norms, momenta, strict=True):
        layer.momentum = momentum


def main():
    parser = harness.emotion_members_parser(__doc__.splitlines()[0])
    parser.add_argument("--recompute-batch-norm", action="store_true")
    parser.add_argument(
        "--partner",
        type=Path,
        action="append",
        default=[],
        help="a member folder from another basin, read beside each soup",
    )
    args = parser.parse_args()

    splits = load_fer2013(args.data)
    sets, prior = face_sets(splits, args.data), ensemble.class_prior(splits.y_train)
    names = [folder.name.removeprefix("emotion_") for folder in args.members]
    models = [ensemble.load_member(folder)[0] for folder in args.members]

    def logits_of(model):
        return {s.name: ensemble.member_logits(model, s.pixels) for s in sets}

    def row(label, logits):
        on = {s.name: [each[s.name] for each in logits] for s in sets}
        reading, figures = ensemble.fit_and_measure(on, sets, prior)
        print(f"measured {label}", file=sys.stderr, flush=True)
        return {
            "reading": label,
            "prior shift": f"{reading.prior_shift:.2f}",
            **harness.reading_cells(figures),
        }

    alone = [logits_of(model) for model in models]
    rows = [row(name, [logits]) for name, logits in zip(names, alone, strict=True)]
    rows.append(row("+".join(names) + " (ensemble)", alone))
    partners = {
        folder.name.removeprefix("emotion_"): logits_of(ensemble.load_member(folder)[0])
        for folder in args.partner
    }
    for partner, partner_logits in partners.items():
        rows.append(row(partner, [partner_logits]))
        for name, logits in zip(names, alone, strict=True):
            rows.append(row(f"{name}+{partner} (ensemble)", [logits, partner_logits]))
    for size in range(2, len(models) + 1):
        for first in range(len(models) - size + 1):
            chosen = range(first, first + size)
            label = "soup " + "+".join(names[i] for i in chosen)
            soup = ensemble.average_weights([models[i] for i in chosen])
            soup_logits = logits_of(soup)
            rows.append(row(label, [soup_logits]))
            for partner, partner_logits in partners.items():
                rows.append(row(f"{label} + {partner}", [soup_logits, partner_logits]))
            if args.recompute_batch_norm:
                recompute_batch_norm(soup, splits.x_train)
                rows.append(row(label + ", batch norm again", [logits_of(soup)]))
    harness.print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
