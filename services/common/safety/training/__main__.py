"""Fit the emergency head on its training messages and write services/common/safety/emergency_head.json.

The vectors are the embedding index's (the same int8 all-MiniLM-L6-v2 encoder, one text per run, as `Embed`
answers), so the head reads in Abbey exactly what it was fitted on. A logistic regression (scikit-learn) with
balanced classes; its threshold is chosen on out-of-fold probabilities (5 folds): the lowest at which at most 3%
of the written look-alikes and 0.5% of the ordinary chatter are flagged (a false alarm tells someone to call 999
about a cold; a miss leaves the emergency to the patterns and to Abbey's care). The blind emergency sets are
never read here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from services.common.safety.emergency import HEAD_PATH
from services.common.safety.training.fit import SEED, fit_head, head_document, threshold_for, with_chatter, write_json
from services.common.shared_data import read_jsonl

# v1: emergencies of every kind against look-alikes; v2: sorrow, grief and worry about people close to the writer
# against emergencies happening to them (the head had told someone whose mother was crying to call 999).
DATA = tuple(Path(__file__).with_name("data") / f"emergency_train_v{n}.jsonl" for n in (1, 2))
# Ordinary chatter as more negatives (GoEmotions comments), none an emergency in the sense above bar the odd one;
# without them the head flagged 17 of 385 everyday emotional messages of Abbey's tuning sets ("my flatmate leaves
# dishes in the sink").
CHATTER_SAMPLE = 4000
MAX_FALSE_ALARMS = 0.03  # share of the written look-alikes (out of fold) the threshold may flag
MAX_CHATTER_ALARMS = 0.005  # share of the chatter (out of fold) the threshold may flag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", default=list(DATA))
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args()
    rows = [row for path in args.data for row in read_jsonl(path)]
    texts, vectors = with_chatter(rows, CHATTER_SAMPLE)
    ordinary = len(texts) - len(rows)
    labels = np.asarray([1 if row["emergency"] else 0 for row in rows] + [0] * ordinary)
    written = np.arange(len(texts)) < len(rows)  # the helper's messages, as opposed to the chatter
    model, out_of_fold = fit_head(vectors, labels)
    threshold = max(
        threshold_for(out_of_fold[written & (labels == 0)], MAX_FALSE_ALARMS),
        threshold_for(out_of_fold[~written], MAX_CHATTER_ALARMS),
    )
    flagged = out_of_fold >= threshold
    document = head_document(
        model,
        threshold,
        data=f"{', '.join(path.name for path in args.data)}: {int(labels[written].sum())} emergencies, "
        f"{int((labels[written] == 0).sum())} "
        f"look-alikes (written blind by a helper; services/common/safety/training/data/README.md); {ordinary} "
        f"GoEmotions training comments as ordinary chatter (random, seed {SEED})",
        threshold_rule=f"lowest out-of-fold threshold flagging at most {MAX_FALSE_ALARMS:.0%} of the look-alikes "
        f"and {MAX_CHATTER_ALARMS:.1%} of the chatter",
        out_of_fold={
            "recall": round(float(flagged[labels == 1].mean()), 4),
            "look_alikes_flagged": round(float(flagged[written & (labels == 0)].mean()), 4),
            "chatter_flagged": round(float(flagged[~written].mean()), 4),
        },
    )
    write_json(args.out, document)
    print(json.dumps({"threshold": document["threshold"], **document["card"]}, indent=2))


if __name__ == "__main__":
    main()
