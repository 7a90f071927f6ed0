"""Fit Aviva's domain gate and write services/common/knowledge/models/domain_gate.json.

    python -m services.aviva.training.domain        (make fit-domain-gate, ~1 min)

The gate answers one question before any passage is presented as an answer: is this about software at all?
Without it, "What's the capital of Australia?" was answered with `decimal.Context` (its `capitals` field) and
"how far is the moon" with an optparse example: the rerankers were fitted and calibrated on technical questions
only, so a general question sharing a word with the corpus could clear the answer threshold.

Fired = off-domain. Positives: general questions and requests written blind by a helper
(`data/off_domain_train.jsonl`) and the TREC factual questions of the shared evaluation's dev split. Negatives: the
technical questions the rerankers were fitted on (written from the corpus's pages), everyday questions as people
type them (`data/everyday_train.jsonl`: "How can I put my public key on a server..." had been gated) and the CoNaLa
programming questions of the same dev split. The vectors are the embedding index's, one text per run, as
`SearchKnowledge` returns them, so the gate reads in the replica what it was fitted on. The threshold is chosen out
of fold: at most 1% of the technical questions gated. So the gate reads "not Python or its everyday tools" more
than "not software": a message naming a programming language is never gated (services/aviva/logic.py), so a code
request in JavaScript still gets JavaScript. Tried and not kept: blind-written questions about other software
(`data/software_elsewhere_train.jsonl`) as negatives too; out of fold 66% of the off-domain questions were gated at
1% of the technical ones (90% without), and with the threshold set on the corpus's questions alone 3 docs QA dev
questions answered before were lost. The blind sets (of questions in and out of the domain, of documentation QA)
and the test splits are never read here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from services.common.encoder import SentenceEncoder
from services.common.knowledge.domain import GATE_PATH
from services.common.safety.training.fit import SEED, fit_head, head_document, threshold_for, write_json
from services.common.shared_data import SHARED, read_jsonl

DATA = Path(__file__).with_name("data")
OFF_DOMAIN = [DATA / "off_domain_train.jsonl"]
# The off-corpus questions (off_corpus*.jsonl) are in neither class: they mix software the corpus does not cover
# (nginx, React) with questions that are not software at all ("best way to learn to play guitar"). As technical
# negatives they set the threshold (out of fold, 77% of the off-domain questions gated at 1% of the technical
# ones, against 90% without them).
TECHNICAL = [DATA / "docs_qa_train.jsonl", DATA / "docs_qa_train_styles.jsonl", DATA / "everyday_train.jsonl"]
SHARED_QUESTIONS = SHARED / "eval" / "questions.jsonl"
MAX_TECHNICAL_GATED = 0.01  # share of the technical questions (out of fold) the threshold may gate


def questions(paths: list[Path]) -> list[str]:
    return [str(row["question"]) for path in paths for row in read_jsonl(path)]


def shared_dev(source_prefix: str) -> list[str]:
    """The dev split's texts of one source of the shared questions set (the test split is never read)."""
    rows = read_jsonl(SHARED_QUESTIONS)
    return [str(r["text"]) for r in rows if r["split"] == "dev" and str(r["source"]).startswith(source_prefix)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GATE_PATH)
    args = parser.parse_args()
    off = questions(OFF_DOMAIN) + shared_dev("TREC")
    technical = questions(TECHNICAL) + shared_dev("CoNaLa")
    texts = off + technical
    vectors = np.asarray(SentenceEncoder(threads=1).encode(texts).vectors, dtype=np.float64)
    labels = np.asarray([1] * len(off) + [0] * len(technical))
    model, out_of_fold = fit_head(vectors, labels)
    threshold = threshold_for(out_of_fold[labels == 0], MAX_TECHNICAL_GATED)
    gated = out_of_fold >= threshold
    document = head_document(
        model,
        threshold,
        data=f"{len(off)} off-domain questions ({', '.join(p.name for p in OFF_DOMAIN)}, written blind by a "
        f"helper; the shared questions' TREC dev rows) against {len(technical)} technical ones "
        f"({', '.join(p.name for p in TECHNICAL)}; the shared questions' CoNaLa dev rows)",
        threshold_rule=f"lowest out-of-fold threshold gating at most {MAX_TECHNICAL_GATED:.0%} of the technical "
        "questions",
        out_of_fold={
            "off_domain_gated": round(float(gated[labels == 1].mean()), 4),
            "technical_gated": round(float(gated[labels == 0].mean()), 4),
        },
    )
    write_json(args.out, document)
    print(json.dumps({"threshold": document["threshold"], "seed": SEED, **document["card"]}, indent=2))


if __name__ == "__main__":
    main()
