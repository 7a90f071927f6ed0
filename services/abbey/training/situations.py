"""Fit Abbey's situation head and write services/abbey/models/situation_feelings.json (`make train-situations`).

Abi's emotion heads learnt from Reddit comments, which name their feeling; told a situation ("we had to put our
cat down this morning", "I start chemo on monday") they find none, and a cue list only grows a phrase at a time.
This head reads what such a situation usually makes a person feel: a multinomial logistic regression
(scikit-learn, balanced classes) on the embedding index's sentence vector, which Abbey already has from her
knowledge search, over the Ekman groups and neutral. Fitted on messages a helper wrote blind from the label
definitions (data/situation_feelings_train_v*.jsonl, data/README.md). Abbey reads it only for a statement that
Abi and her own reading found no feeling in (services/abbey/emotion.py), and only when its most likely feeling
reaches the threshold: the lowest at which, out of fold (5 folds), at most `MAX_NEUTRAL_READ` of the neutral
messages would be read as a feeling. The frozen set that measures it (`make eval`, task `situations`) is never read
here.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from services.abbey.situation import HEAD_PATH, NEUTRAL
from services.abi.training.data import is_held_out
from services.common.safety.training.fit import fit_softmax_head, index_vectors, write_json
from services.common.shared_data import read_jsonl

DATA = tuple(Path(__file__).with_name("data") / f"situation_feelings_train_v{n}.jsonl" for n in (1, 2))
MAX_NEUTRAL_READ = 0.05  # share of the neutral messages (out of fold) the threshold may read as a feeling
C = 4.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", default=list(DATA))
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args()
    # A message equal to a held-out text of any evaluation set is never fitted.
    rows = [row for path in args.data for row in read_jsonl(path) if not is_held_out(str(row["text"]))]
    vectors = index_vectors([str(row["text"]) for row in rows])
    gold = np.asarray([str(row["ekman"]) for row in rows])
    fit = fit_softmax_head(vectors, gold, NEUTRAL, MAX_NEUTRAL_READ, C)
    figures = fit.figures(
        gold,
        NEUTRAL,
        ("feelings_read_right", "feelings_read_wrong", "neutral_read_as_a_feeling", "per_group_read_right"),
    )
    document = fit.document(
        data=f"{', '.join(path.name for path in args.data)}: {dict(sorted(Counter(gold.tolist()).items()))} "
        "(written blind by helpers; services/abbey/training/data/README.md)",
        threshold_rule=f"lowest out-of-fold probability of the strongest feeling at which at most "
        f"{MAX_NEUTRAL_READ:.0%} of the neutral messages are read as a feeling",
        figures=figures,
    )
    write_json(args.out, document)
    print(f"wrote {args.out}: threshold {fit.threshold:.3f}; out of fold {figures}")


if __name__ == "__main__":
    main()
