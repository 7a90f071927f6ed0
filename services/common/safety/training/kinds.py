"""Fit the crisis-kind head and write services/common/safety/crisis_kind_heads.json (`make train-crisis-kinds`).

A logistic regression on the index's sentence vector, fitted on messages a helper wrote blind from label
definitions (data/crisis_kinds_train_v1.jsonl: `attempt`, `self_harm`, `other_crisis`, `not_crisis`) and
GoEmotions comments as ordinary chatter. It only ever refines the kind of a message that is already a crisis
(services/common/safety/crisis.py, `refine`), so what a false alarm costs is the wrong crisis answer:
- `attempt` (the emergency number first): its threshold is the lowest at which, out of fold, at most 3% of the
  other crises, 1% of the written non-crises and 0.5% of the chatter are flagged;
A `self_harm` head (care for self-harm, not the suicide question) was fitted the same way (bounds: 5% of the
other crises, 1% of the non-crises, 0.5% of the chatter; attempts left out) and found 0.375 of the self-harm
messages out of fold, under the 0.5 its rule asked (written before the fit): it is not shipped, and self-harm
is read from words only (`_SELF_HARM`). Deterministic (seeded); the blind kinds set (services/abbey/README.md)
is never read here.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from services.common.encoder import SentenceEncoder, default_model_path
from services.common.safety.crisis import KIND_HEADS_PATH
from services.common.safety.training.fit import (
    CHATTER,
    SEED,
    chatter,
    fit_head,
    head_document,
    threshold_for,
    write_json,
)
from services.common.shared_data import read_jsonl

DATA = Path(__file__).with_name("data") / "crisis_kinds_train_v1.jsonl"
CHATTER_SAMPLE = 3000
# kind -> (labels counted as positives, labels left out, {negative label: the share it may flag out of fold})
RULES: dict[str, tuple[set[str], set[str], dict[str, float]]] = {
    "attempt": ({"attempt"}, set(), {"other_crisis": 0.03, "self_harm": 0.03, "not_crisis": 0.01, "chatter": 0.005}),
}


def fit_kind(kind: str, labels: list[str], vectors: np.ndarray) -> tuple[dict[str, Any], dict[str, float]]:
    positives, left_out, bounds = RULES[kind]
    keep = np.asarray([label not in left_out for label in labels])
    names = [label for label, kept in zip(labels, keep, strict=True) if kept]
    y = np.asarray([1 if label in positives else 0 for label in names])
    model, out_of_fold = fit_head(vectors[keep], y)
    groups = np.asarray(names)
    threshold = max(threshold_for(out_of_fold[groups == name], share) for name, share in bounds.items())
    flagged = out_of_fold >= threshold
    figures = {"recall": round(float(flagged[y == 1].mean()), 4)}
    figures.update({f"{name}_flagged": round(float(flagged[groups == name].mean()), 4) for name in bounds})
    card = {
        "model": "scikit-learn LogisticRegression(C=4, class_weight=balanced) on the unit sentence vector",
        "threshold_rule": "lowest out-of-fold threshold flagging at most "
        + ", ".join(f"{share:.1%} of {name}" for name, share in bounds.items()),
        "out_of_fold": figures,
    }
    return head_document(model, threshold, card), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=KIND_HEADS_PATH)
    args = parser.parse_args()
    rows = read_jsonl(args.data)
    ordinary = chatter(CHATTER, CHATTER_SAMPLE, SEED)
    texts = [str(row["text"]) for row in rows] + ordinary
    labels = [str(row["label"]) for row in rows] + ["chatter"] * len(ordinary)
    vectors = np.asarray(SentenceEncoder(threads=1).encode(texts).vectors, dtype=np.float64)
    document: dict[str, Any] = {}
    for kind in RULES:
        document[kind], figures = fit_kind(kind, labels, vectors)
        print(kind, json.dumps({"threshold": document[kind]["threshold"], **figures}))
    document["card"] = {
        "trained": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "data": f"{args.data.name} ({len(rows)} messages written blind by a helper; data/README.md) and "
        f"{len(ordinary)} GoEmotions training comments as chatter (random, seed {SEED})",
        "encoder": default_model_path().name,
    }
    write_json(args.out, document)


if __name__ == "__main__":
    main()
