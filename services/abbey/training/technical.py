"""Fit Abbey's technical head and write services/abbey/models/technical_head.json (`make train-technical`).

Does a good answer to this message include technical steps? A logistic regression (scikit-learn, balanced classes)
on the embedding index's sentence vector of the message's ask (`focus_query`, as Abbey searches with it), fitted on
messages helpers wrote for the distinction (data/technical_train_v*.jsonl, data/README.md): technical asks told
with feeling and calmly, technology told only as the cause of a feeling, and everyday messages; GoEmotions'
training comments as more ordinary chatter. Its threshold is the lowest at which, out of fold (5 folds), at most
`MAX_CARE_READ` of the care-only messages other than the chatter would get steps (most of the helper-written ones
speak of technology; the chatter is easy). The frozen sets that measure it (`tests/eval/technical.py`) are never
read here.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from services.abbey.technical import HEAD_PATH
from services.abi.training.data import is_held_out
from services.common.generation.focus import focus_query
from services.common.safety.training.fit import (
    CHATTER,
    SEED,
    chatter,
    fit_head,
    head_document,
    index_vectors,
    threshold_for,
    write_json,
)
from services.common.shared_data import SHARED, read_jsonl

DATA = tuple(Path(__file__).with_name("data") / f"technical_train_v{n}.jsonl" for n in (1, 2, 3))
MAX_CARE_READ = 0.02  # share of the written care-only messages (out of fold) the threshold may give steps to
CHATTER_COUNT = 1500
# The public evaluation's dev rows that say the same thing: programming asks (CoNaLa's Stack Overflow titles) need
# steps; people telling a situation or asking a counsellor (EmpatheticDialogues, counsel-chat) need care.
DEV_SOURCES = {"CoNaLa": True, "EmpatheticDialogues": False, "counsel-chat": False}


def public_dev_rows() -> list[dict[str, object]]:
    """The dev rows of ../shared/eval's routing and questions files from `DEV_SOURCES`, labelled by source."""
    rows = []
    for name in ("routing", "questions"):
        for row in read_jsonl(SHARED / "eval" / f"{name}.jsonl"):
            source = next((s for s in DEV_SOURCES if str(row["source"]).startswith(s)), None)
            if row["split"] == "dev" and source is not None:
                rows.append({"text": row["text"], "needs_technical": DEV_SOURCES[source], "group": f"dev-{source}"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", default=list(DATA))
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    parser.add_argument("--max-care-read", type=float, default=MAX_CARE_READ)
    args = parser.parse_args()
    # A message equal to a held-out text of any evaluation set is never fitted.
    rows = [
        {**row, "group": f"{path.stem.rsplit('_', 1)[-1]}-{row['group']}"}
        for path in args.data
        for row in read_jsonl(path)
        if not is_held_out(str(row["text"]))
    ] + [row for row in public_dev_rows() if not is_held_out(str(row["text"]))]
    texts = [str(row["text"]) for row in rows] + chatter(CHATTER, CHATTER_COUNT, SEED)
    labels = np.asarray([int(bool(row["needs_technical"])) for row in rows] + [0] * CHATTER_COUNT)
    vectors = index_vectors([focus_query(text) for text in texts])
    model, out_of_fold = fit_head(vectors, labels)
    # The line is drawn on the care-only messages other than the chatter: most of the written ones speak of technology.
    written = np.arange(len(labels)) < len(rows)
    threshold = threshold_for(out_of_fold[written & (labels == 0)], args.max_care_read)
    steps = out_of_fold >= threshold
    groups = np.asarray([str(row["group"]) for row in rows])
    figures = {
        "technical_given_steps": round(float(steps[labels == 1].mean()), 4),
        "care_only_given_steps": round(float(steps[labels == 0].mean()), 4),
        "written_care_only_given_steps": round(float(steps[written & (labels == 0)].mean()), 4),
        **{
            f"group_{g}_given_steps": round(float(steps[: len(rows)][groups == g].mean()), 4)
            for g in sorted(set(groups.tolist()))
        },
    }
    document = head_document(
        model,
        threshold,
        data=f"{', '.join(path.name for path in args.data)}: {dict(sorted(Counter(groups.tolist()).items()))} by "
        f"file and group (helper-written files: services/abbey/training/data/README.md; dev rows of ../shared/eval), "
        f"and {CHATTER_COUNT} GoEmotions training comments as care-only",
        threshold_rule=f"lowest out-of-fold probability at which at most {args.max_care_read:.0%} of the care-only "
        "messages other than the chatter (helper-written and public dev) get steps",
        out_of_fold=figures,
    )
    write_json(args.out, document)
    print(f"wrote {args.out}: threshold {threshold:.3f}; out of fold {figures}")


if __name__ == "__main__":
    main()
