"""Fit the attempt head and write services/common/safety/attempt_head.json (`make train-attempt-head`).

A logistic regression on the index's sentence vector, fitted on messages a helper wrote blind from label
definitions (data/crisis_kinds_train_v1.jsonl: `attempt`, `self_harm`, `other_crisis`, `not_crisis`) and
GoEmotions comments as ordinary chatter. It only ever refines a message that is already a crisis
(services/common/safety/crisis.py, `refine`), so what a false alarm costs is the wrong crisis answer (the
emergency number first): its threshold is the lowest at which, out of fold, at most 3% of the other crises and of
the self-harm messages, 1% of the written non-crises and 0.5% of the chatter are flagged.
A `self_harm` head (care for self-harm, not the suicide question) was fitted the same way (bounds: 5% of the
other crises, 1% of the non-crises, 0.5% of the chatter; attempts left out) and found 0.375 of the self-harm
messages out of fold, under the 0.5 its rule asked (written before the fit): it is not shipped, and self-harm
is read from words only (`_SELF_HARM`). Deterministic (seeded); the blind kinds set (services/abbey/README.md)
is never read here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from services.common.safety.crisis import ATTEMPT_HEAD_PATH
from services.common.safety.training.fit import (
    SEED,
    fit_head,
    head_document,
    threshold_for,
    with_chatter,
    write_json,
)
from services.common.shared_data import read_jsonl

DATA = Path(__file__).with_name("data") / "crisis_kinds_train_v1.jsonl"
CHATTER_SAMPLE = 3000
# label -> the share of it the threshold may flag out of fold
BOUNDS = {"other_crisis": 0.03, "self_harm": 0.03, "not_crisis": 0.01, "chatter": 0.005}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ATTEMPT_HEAD_PATH)
    args = parser.parse_args()
    rows = read_jsonl(args.data)
    texts, vectors = with_chatter(rows, CHATTER_SAMPLE)
    groups = np.asarray([str(row["label"]) for row in rows] + ["chatter"] * (len(texts) - len(rows)))
    labels = (groups == "attempt").astype(int)
    model, out_of_fold = fit_head(vectors, labels)
    threshold = max(threshold_for(out_of_fold[groups == name], share) for name, share in BOUNDS.items())
    flagged = out_of_fold >= threshold
    figures = {"recall": round(float(flagged[labels == 1].mean()), 4)}
    figures.update({f"{name}_flagged": round(float(flagged[groups == name].mean()), 4) for name in BOUNDS})
    document = head_document(
        model,
        threshold,
        data=f"{args.data.name} ({len(rows)} messages written blind by a helper; data/README.md) and "
        f"{len(texts) - len(rows)} GoEmotions training comments as chatter (random, seed {SEED})",
        threshold_rule="lowest out-of-fold threshold flagging at most "
        + ", ".join(f"{share:.1%} of {name}" for name, share in BOUNDS.items()),
        out_of_fold=figures,
    )
    write_json(args.out, document)
    print(json.dumps({"threshold": document["threshold"], **figures}))


if __name__ == "__main__":
    main()
