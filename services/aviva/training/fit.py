"""Fit the reranker's weights: `make fit-rerank` (scikit-learn, a dev dependency; the replica needs numpy only).

    python -m services.aviva.training [--data-dir var] [--k 20]

1. Start the embedding index on a data dir that holds the documentation corpus (ingested first, incrementally).
2. For every question with a known answer, retrieve `k` candidates by hybrid search, as Aviva does, and label a
   candidate 1 when its heading or text contains one of the question's keys (`contains_key`).
   Off-corpus questions (nothing in the corpus answers them) give only 0 labels.
3. Fit a logistic regression on services.common.knowledge.rerank.FEATURES; the regularisation and the answer threshold
   are chosen on out-of-fold predictions (folds by question): the threshold is the one that answers the most
   questions correctly while at least `--abstain` of the off-corpus questions get "no passage answers".
4. Write services/common/knowledge/models/rerank.json with the out-of-fold figures.

The questions: data/docs_qa_train.jsonl (written from the installed documentation by a helper that never
saw the QA set of tests/docs_qa), data/docs_qa_train_styles.jsonl (the same, asked as people write in a chat:
a story first, the goal without the tool's name, a failed attempt, non-native English, an instruction),
data/off_corpus*.jsonl, and the dev split of tests/docs_qa. Its test split is never read here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import embedding_index_service_pb2_grpc as index_grpc
from services.aviva.training.selection import ABSTAIN, contains_key, pick_threshold
from services.common.knowledge.passage import read
from services.common.knowledge.rerank import FEATURES, MODEL_FILE, features
from services.devmesh.processes import ServiceProcess, free_port

DATA = Path(__file__).parent / "data"
QA_SET = Path(__file__).resolve().parents[3] / "tests" / "docs_qa" / "docs_qa_v1.jsonl"
# Questions only the cross-encoder is fitted on: the linear stage refitted with the near-alternative questions moved
# no tuning split (training/RULES.md, "Questions that tell near alternatives apart", step 1); the cross-encoder
# fitted with them and reading 10 passages raised every one (step 3).
CROSS_ENCODER_ONLY = frozenset({"docs_qa_train_contrasts.jsonl"})


@dataclass
class Question:
    id: str
    text: str
    keys: list[str]  # empty: off-corpus
    split: str  # "train" (helper-written), "dev" (tests/docs_qa) or "off" (off-corpus)
    linear: bool = True  # the linear stage is fitted on it too (not a CROSS_ENCODER_ONLY file)


def question_files() -> list[Path]:
    """The training questions (terse, then in chat styles), the QA set (its dev split is read), the off-corpus ones."""
    return [*sorted(DATA.glob("docs_qa_train*.jsonl")), QA_SET, *sorted(DATA.glob("off_corpus*.jsonl"))]


def questions() -> list[Question]:
    out: list[Question] = []
    for path in question_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            split = "off" if path.name.startswith("off_corpus") else row["split"]
            if split in ("train", "dev", "off"):
                keys = list(row.get("keys", []))
                out.append(Question(row["id"], row["question"], keys, split, path.name not in CROSS_ENCODER_ONLY))
    return out


def candidates(data_dir: Path, qs: list[Question], k: int) -> list[list[index_pb2.KnowledgeHit]]:
    """Each question's `k` hybrid-search hits from a real index on `data_dir`."""
    subprocess.run([sys.executable, "-m", "services.embeddings.corpus", "--data-dir", str(data_dir)], check=True)
    index = ServiceProcess(
        "embeddings", "services.embeddings", free_port(), {"PM_DATA_DIR": str(data_dir), "PM_METRICS_PORT": "-1"},
        data_dir / "logs" / "fit-rerank",
    )  # fmt: skip
    index.start()
    try:
        if not index.wait_serving(600):
            raise RuntimeError("the embedding index did not start")
        with grpc.insecure_channel(index.target) as channel:
            stub = index_grpc.EmbeddingIndexServiceStub(channel)
            return [
                list(
                    stub.SearchKnowledge(
                        index_pb2.SearchKnowledgeRequest(
                            query=q.text,
                            k=k,
                            min_score=0.0,
                            hybrid=True,
                            collection=index_pb2.KNOWLEDGE_COLLECTION_REFERENCE,
                        ),
                        timeout=60,
                    ).hits
                )
                for q in qs
            ]
    finally:
        index.stop()


def answers(question: Question, hit: index_pb2.KnowledgeHit) -> bool:
    """A candidate answers when its heading or text holds one of the question's keys."""
    return any(contains_key(hit.title + "\n" + hit.text, key) for key in question.keys)


def table(qs: list[Question], hits: list[list[index_pb2.KnowledgeHit]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows, labels and the question index of each row."""
    xs, ys, groups = [], [], []
    for number, (q, found) in enumerate(zip(qs, hits, strict=True)):
        _, rows = features(q.text, [read(hit) for hit in found])
        for hit, row in zip(found, rows, strict=True):
            xs.append(row)
            ys.append(answers(q, hit))
            groups.append(number)
    return np.asarray(xs), np.asarray(ys, dtype=int), np.asarray(groups)


def top1(groups: np.ndarray, y: np.ndarray, p: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per question: the best candidate's probability and whether it answers."""
    best_p, best_ok = np.zeros(n), np.zeros(n, dtype=bool)
    for q in range(n):
        rows = np.flatnonzero(groups == q)
        if len(rows):
            i = rows[int(np.argmax(p[rows]))]
            best_p[q], best_ok[q] = p[i], bool(y[i])
    return best_p, best_ok


def dump(path: Path, qs: list[Question], hits: list[list[index_pb2.KnowledgeHit]]) -> None:
    """One line per question: its text, split and candidates with their labels (for the cross-encoder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for q, found in zip(qs, hits, strict=True):
            passages = [
                {"source": h.source, "title": h.title, "text": h.text, "url": h.url, "score": h.score,
                 "lexical_score": h.lexical_score,
                 "answers": answers(q, h)}
                for h in found
            ]  # fmt: skip
            out.write(json.dumps({"id": q.id, "question": q.text, "split": q.split, "passages": passages}) + "\n")


def fit(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, y)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--k", type=int, default=20, help="candidates per question (Aviva's PM_KNOWLEDGE_K)")
    parser.add_argument(
        "--abstain", type=float, default=ABSTAIN, help="share of off-corpus questions that must abstain"
    )
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--dump", type=Path, help="also write the labelled candidates here (JSON lines)")
    args = parser.parse_args()
    from sklearn.model_selection import GroupKFold

    started = time.perf_counter()
    every = questions()
    every_hits = candidates(args.data_dir, every, args.k)
    if args.dump:
        dump(args.dump, every, every_hits)
    qs, hits = [q for q in every if q.linear], [h for q, h in zip(every, every_hits, strict=True) if q.linear]
    x, y, groups = table(qs, hits)
    off = np.asarray([not q.keys for q in qs])
    reachable = np.asarray([y[groups == i].any() for i in range(len(qs))])
    print(f"{len(qs)} questions ({int(off.sum())} off-corpus), {len(y)} candidates; an answer among the "
          f"candidates for {reachable[~off].mean():.3f} of the in-corpus questions")  # fmt: skip
    folds = GroupKFold(n_splits=5)
    results = {}
    for c in (0.01, 0.1, 1.0, 10.0):
        oof = np.zeros(len(y))
        for fit_rows, held_rows in folds.split(x, y, groups):
            oof[held_rows] = fit(x[fit_rows], y[fit_rows], c).predict_proba(x[held_rows])[:, 1]
        best_p, best_ok = top1(groups, y, oof, len(qs))
        threshold, figures = pick_threshold(best_p, best_ok, off, args.abstain)
        results[c] = (float(best_ok[~off].mean()), threshold, figures)
        print(f"C={c}: out-of-fold top-1 {results[c][0]:.3f}, threshold {threshold}: {figures}")
    c = max(results, key=lambda key: (results[key][2].get("answered_correctly", 0), results[key][0]))
    model = fit(x, y, c)
    top1_oof, threshold, figures = results[c]
    document = {
        "about": "Aviva's reranker: P(passage answers) = sigmoid(bias + sum(weight * feature)); "
        "fitted by services/aviva/training (make fit-rerank).",
        "bias": round(float(model.intercept_[0]), 5),
        "weights": {name: round(float(w), 5) for name, w in zip(FEATURES, model.coef_[0], strict=True)},
        "answer_threshold": threshold,
        "fitted_on": {"questions": len(qs), "off_corpus": int(off.sum()), "candidates_per_question": args.k, "C": c},
        "out_of_fold": {"top1": round(top1_oof, 4), **figures},
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (C={c}, threshold {threshold}) in {time.perf_counter() - started:.0f}s")
    return 0
