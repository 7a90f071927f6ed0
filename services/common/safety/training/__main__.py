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
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from services.common.encoder import SentenceEncoder, default_model_path
from services.common.safety.emergency import HEAD_PATH
from services.common.shared_data import SHARED, read_jsonl

DATA = Path(__file__).with_name("data") / "emergency_train_v1.jsonl"
# Ordinary chatter as more negatives: GoEmotions' training comments (../shared/train), none an emergency in the
# sense above bar the odd one; without them the head flagged 17 of 385 everyday emotional messages of Abbey's
# tuning sets ("my flatmate leaves dishes in the sink").
CHATTER = SHARED / "train" / "goemotions_train.jsonl"
CHATTER_SAMPLE = 4000
MAX_FALSE_ALARMS = 0.03  # share of the written look-alikes (out of fold) the threshold may flag
MAX_CHATTER_ALARMS = 0.005  # share of the chatter (out of fold) the threshold may flag
SEED = 20261204


def threshold_for(negatives: np.ndarray, max_false_alarms: float) -> float:
    """The lowest threshold flagging at most `max_false_alarms` of `negatives` (probabilities; ties stay out)."""
    ranked = np.sort(negatives)[::-1]
    allowed = int(np.floor(max_false_alarms * len(ranked)))
    return float(np.nextafter(ranked[allowed], 1.0)) if allowed < len(ranked) else 0.0


def chatter(path: Path, count: int, seed: int) -> list[str]:
    """`count` comments of GoEmotions' training split, drawn at random (seeded)."""
    texts = [str(row["text"]) for row in read_jsonl(path)]
    picks = np.random.default_rng(seed).choice(len(texts), size=min(count, len(texts)), replace=False)
    return [texts[i] for i in sorted(picks)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args()
    rows = read_jsonl(args.data)
    ordinary = chatter(CHATTER, CHATTER_SAMPLE, SEED)
    texts = [str(row["text"]) for row in rows] + ordinary
    encoder = SentenceEncoder(threads=1)
    vectors = np.asarray(encoder.encode(texts).vectors, dtype=np.float64)
    labels = np.asarray([1 if row["emergency"] else 0 for row in rows] + [0] * len(ordinary))
    written = np.arange(len(texts)) < len(rows)  # the helper's messages, as opposed to the chatter
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    out_of_fold = cross_val_predict(model, vectors, labels, cv=folds, method="predict_proba")[:, 1]
    threshold = max(
        threshold_for(out_of_fold[written & (labels == 0)], MAX_FALSE_ALARMS),
        threshold_for(out_of_fold[~written], MAX_CHATTER_ALARMS),
    )
    flagged = out_of_fold >= threshold
    model.fit(vectors, labels)
    card = {
        "trained": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "data": f"{args.data.name}: {int(labels[written].sum())} emergencies, {int((labels[written] == 0).sum())} "
        f"look-alikes (written blind by a helper; services/common/safety/training/data/README.md); {len(ordinary)} "
        f"GoEmotions training comments as ordinary chatter (random, seed {SEED})",
        "encoder": default_model_path().name,
        "model": "scikit-learn LogisticRegression(C=4, class_weight=balanced) on the unit sentence vector",
        "threshold_rule": f"lowest out-of-fold threshold flagging at most {MAX_FALSE_ALARMS:.0%} of the look-alikes "
        f"and {MAX_CHATTER_ALARMS:.1%} of the chatter",
        "out_of_fold": {
            "recall": round(float(flagged[labels == 1].mean()), 4),
            "look_alikes_flagged": round(float(flagged[written & (labels == 0)].mean()), 4),
            "chatter_flagged": round(float(flagged[~written].mean()), 4),
        },
    }
    document = {
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
        "threshold": round(threshold, 6),
        "card": card,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"threshold": document["threshold"], **card}, indent=2))


if __name__ == "__main__":
    main()
