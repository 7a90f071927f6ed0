"""Pick the answer threshold of the two-stage reranker as the replica runs it, int8 cross-encoder included.

    python -m services.aviva.training.calibrate [--models services/common/knowledge/models]

Held-out questions: the docs QA dev split and the even-numbered off-corpus questions (the cross-encoder never
fitted them). Each question's candidates go through `Reranker.rank`; the threshold on the best passage's
confidence answers the most dev questions correctly while `selection.ABSTAIN` of those off-corpus questions
abstain. Runs in the service environment (no PyTorch): `make fit-rerank` calls it after the fine-tune.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.aviva.training.selection import held, pick_threshold, read_candidates
from services.common.knowledge.cross_encoder import CARD_FILE, MODELS_DIR
from services.common.knowledge.passage import read
from services.common.knowledge.rerank import Reranker

CANDIDATES = Path("build/rerank/candidates.jsonl")


def hit(passage: dict[str, Any]) -> index_pb2.KnowledgeHit:
    keys = ("source", "title", "text", "url", "score", "lexical_score")
    return index_pb2.KnowledgeHit(**{key: passage[key] for key in keys})


async def _best(reranker: Reranker, questions: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    best_p, best_ok = [], []
    for q in questions:
        _, ranked = await reranker.rank(q["question"], [read(hit(p)) for p in q["passages"]])
        top = ranked[0]
        answer = {(p["url"], p["text"]): p["answers"] for p in q["passages"]}[
            (top.passage.hit.url, top.passage.hit.text)
        ]
        best_p.append(top.confidence)
        best_ok.append(bool(answer))
    return np.asarray(best_p), np.asarray(best_ok)


# Passages the cross-encoder reads per question by default. With the model fitted on 2026-12-05: on the held-out
# questions 5 answered 0.664 of dev correctly at ~57 ms of CPU per question, 10 answered 0.671 at ~123 ms, 3
# answered 0.616 at ~40 ms, and 5 was shipped. With the model fitted on 2026-12-07 (the near-alternative questions
# among its training), 5 answered 0.623 and 10 answered 0.644, and 10 raised every routed tuning split
# (training/RULES.md, "Questions that tell near alternatives apart", step 3).
DEPTH = 10


def calibrate(models_dir: Path, candidates: Path, depth: int = DEPTH) -> dict[str, Any]:
    """Write the cascade's depth, answer threshold and held-out figures into the cross-encoder's card."""
    card_path = models_dir / CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["depth"] = depth
    reranker = Reranker(depth=depth, threads=2, cross_dir=models_dir)
    questions = [q for q in read_candidates(candidates) if held(q)]
    p, ok = asyncio.run(_best(reranker, questions))
    off = np.asarray([q["split"] == "off" for q in questions])
    threshold, figures = pick_threshold(p, ok, off)
    card["answer_threshold"] = threshold
    card["held_out"] = {"dev_top1": round(float(ok[~off].mean()), 4), "answer_threshold": threshold, **figures}
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--candidates", type=Path, default=CANDIDATES)
    parser.add_argument("--depth", type=int, default=DEPTH, help="passages the cross-encoder reads per question")
    args = parser.parse_args()
    print(calibrate(args.models, args.candidates, args.depth)["held_out"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
