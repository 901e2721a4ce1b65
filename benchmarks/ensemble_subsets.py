"""Which members make the best ensemble? Every subset, measured in one run.

    .venv/bin/python benchmarks/ensemble_subsets.py \
        saved_models/members/emotion_{a,b,c,s}

Issue 21 asks which of averaging and distilling won, and by how much. For each
member folder given, the member's logits on FER2013 PublicTest and CK+ (each
face and its mirror image) are computed once under Keras; then every subset of
the members is read as `publish_emotion_ensemble` would serve it: the
temperature, the prior shift and the neutral offset fitted on PublicTest
(`ml_training.face.ensemble`), mirror image averaged in. Prints, per subset:
PublicTest and CK+ accuracy, CK+ calibration error, the fitted temperature
and offset, and the parameters. Keras float32 here, LiteRT in the site: a
float32 file's own report can differ in the last digit, an int8 file's
(`publish_emotion_ensemble --int8`) by a few faces either way.

A PublicTest accuracy has a standard error of about 0.8 points (3,589
faces), CK+ about 2.2 (927 faces, but three near-copies from each of 309
sequences: docs/emotion-model.md); subsets are chosen on PublicTest only.
"""

import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402

harness.setup_django()


from ml_training.face import ensemble  # noqa: E402
from ml_training.face.data import load_fer2013  # noqa: E402
from ml_training.face.training import face_sets  # noqa: E402


def subset_rows(names, logits, parameters, sets, prior):
    """One row per subset of the members: the reading as served, measured."""
    rows = []
    for size in range(1, len(names) + 1):
        for chosen in itertools.combinations(range(len(names)), size):
            on = {s.name: [logits[s.name][i] for i in chosen] for s in sets}
            reading, figures = ensemble.fit_and_measure(on, sets, prior)
            row = {
                "members": "+".join(names[i] for i in chosen),
                "T": f"{reading.temperature:.2f}",
                "prior shift": f"{reading.prior_shift:.2f}",
                "neutral offset": f"{reading.neutral_offset:+.2f}",
                "parameters": f"{sum(parameters[i] for i in chosen):,}",
            }
            row.update(harness.reading_cells(figures))
            rows.append(row)
    return rows


def main():
    args = harness.emotion_members_parser(__doc__.splitlines()[0]).parse_args()

    splits = load_fer2013(args.data)
    sets, prior = face_sets(splits, args.data), ensemble.class_prior(splits.y_train)
    names, parameters, logits = [], [], {s.name: [] for s in sets}
    for folder in args.members:
        model, _ = ensemble.load_member(folder)
        names.append(folder.name.removeprefix("emotion_"))
        parameters.append(model.count_params())
        for face_set in sets:
            logits[face_set.name].append(ensemble.member_logits(model, face_set.pixels))
        print(f"read with {folder}", file=sys.stderr, flush=True)

    rows = subset_rows(names, logits, parameters, sets, prior)
    harness.print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
