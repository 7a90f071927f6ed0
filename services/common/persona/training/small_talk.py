"""Fit the small-talk head and write services/common/persona/models/small_talk.json (`make train-small-talk`).

The closed list of small talk (services/common/persona/small_talk.py) matches conventional phrases whole; people say
the same things in endless other words ("nice one, that worked", "lol ok"), which had been met as a question with no
source or as news to savour. This head reads the kind of small talk from the embedding index's sentence vector: a
multinomial logistic regression (scikit-learn, balanced classes) over the kinds and "none", fitted on short messages
a helper wrote from the kinds' definitions without reading the project (data/small_talk_train_v1.jsonl,
data/README.md). Its threshold is the lowest at which, out of fold (5 folds), at most `MAX_NONE_READ` of the messages
that are not small talk would be taken for it: answering news, a feeling or a request as small talk costs more than
missing a greeting. The sets that measure it (`make eval`, task `small_talk`) are never read here.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from services.abi.training.data import is_held_out
from services.common.persona.small_talk import HEAD_PATH, MAX_HEAD_WORDS, NOT_SMALL_TALK
from services.common.safety.training.fit import fit_softmax_head, index_vectors, write_json
from services.common.shared_data import read_jsonl

DATA = (Path(__file__).with_name("data") / "small_talk_train_v1.jsonl",)
MAX_NONE_READ = 0.01  # share of the messages that are not small talk (out of fold) the threshold may take for it
# Picked out of fold on the training messages alone: C 1 / 4 / 16 / 64 / 256 read 0.29 / 0.34 / 0.43 / 0.49 / 0.48
# of the small talk right at the threshold's 1%.
C = 64.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", default=list(DATA))
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args()
    # A message equal to a held-out text of any evaluation set is never fitted; the head reads only short ones.
    rows = [
        row
        for path in args.data
        for row in read_jsonl(path)
        if not is_held_out(str(row["text"])) and len(str(row["text"]).split()) <= MAX_HEAD_WORDS
    ]
    vectors = index_vectors([str(row["text"]) for row in rows])
    gold = np.asarray([str(row["kind"]) for row in rows])
    fit = fit_softmax_head(vectors, gold, NOT_SMALL_TALK, MAX_NONE_READ, C)
    names = (
        "small_talk_read_right",
        "small_talk_read_as_another_kind",
        "none_taken_for_small_talk",
        "per_kind_read_right",
    )
    figures = fit.figures(gold, NOT_SMALL_TALK, names)
    document = fit.document(
        data=f"{', '.join(path.name for path in args.data)}: {dict(sorted(Counter(gold.tolist()).items()))} "
        f"(at most {MAX_HEAD_WORDS} words; written blind by a helper; "
        "services/common/persona/training/data/README.md)",
        threshold_rule=f"lowest out-of-fold probability of the likeliest kind at which at most "
        f"{MAX_NONE_READ:.0%} of the messages that are not small talk are taken for it",
        figures=figures,
    )
    write_json(args.out, document)
    print(f"wrote {args.out}: threshold {fit.threshold:.3f}; out of fold {figures}")


if __name__ == "__main__":
    main()
