"""Write data/held_out.sha256: hashes of every held-out text, so training can drop exact duplicates.

    python -m tests.eval.held_out

Held out: the frozen blind sets (tests/blind), the selection sets (tests/selection), the `test`
rows of ../shared/eval/routing.jsonl and questions.jsonl, and the GoEmotions test split
(../shared/eval/emotions.jsonl). Only truncated hashes are written: the training folder holds no
held-out text, and nothing else about those rows (labels, errors) reaches training. Run it when a
held-out set changes; tests/abi/test_model.py fails while the file is out of date.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from services.abi.training.data import HELD_OUT_HASHES, text_hash
from services.abi.training.fixtures import SHARED, read_jsonl

REPO = Path(__file__).resolve().parents[2]


def held_out_texts() -> Iterator[str]:
    for folder in ("blind", "selection"):  # every frozen blind set and every selection set
        for path in sorted((REPO / "tests" / folder).glob("*.jsonl")):
            for row in read_jsonl(path):
                yield from row["turns"] if "turns" in row else [row["text"]]  # a conversation: each message
    for name in ("routing", "questions"):
        for row in read_jsonl(SHARED / f"eval/{name}.jsonl"):
            if row["split"] == "test":
                yield row["text"]
    for row in read_jsonl(SHARED / "eval/emotions.jsonl"):
        yield row["text"]


def render() -> str:
    hashes = sorted({text_hash(t) for t in held_out_texts()})
    header = "# sha256 (first 16 hex digits) of each held-out text, normalised; see services/abi/training/held_out.py"
    return "\n".join([header, *hashes]) + "\n"


def main() -> int:
    HELD_OUT_HASHES.write_text(render(), encoding="utf-8")
    print(f"wrote {HELD_OUT_HASHES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
