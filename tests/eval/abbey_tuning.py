"""Abbey's tuning figures through a running gateway: the sets every Abbey rule in services/abbey/README.md is judged by
before any blind set, and only those (no blind or test row is sent, so a change is never chosen on them).

    python -m tests.eval.abbey_tuning --url http://127.0.0.1:8080 [--misses misses.json]

Prints one line: the empathy dev half and the three empathy selection sets (answered to the labelled feeling in a
fitting tone, tests/eval/empathy.py), the conversations selection set (last message acknowledged), the sarcasm
selection set (sarcastic not cheered, sincere read as good news) and the small-talk tuning set (answered in kind,
others taken for small talk). `--misses` writes the empathy rows that did not pass, with Abbey's reading and answer:
tuning rows, which may be read to find what to change next.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.eval.conversations import eval_conversations
from tests.eval.empathy import (
    EMPATHY_SELECTION,
    EMPATHY_SELECTION_V2,
    EMPATHY_SELECTION_V3,
    EMPATHY_SET,
    ask_abbey,
    judge,
    read_rows,
    split_of,
)
from tests.eval.sarcasm import SARCASM_SELECTION, eval_sarcasm
from tests.eval.small_talk import SMALL_TALK_SELECTION, eval_small_talk

TUNING_SPLITS = ("dev", "selection", "selection_v2", "selection_v3")


def empathy_tuning_rows() -> list[dict[str, Any]]:
    """The empathy rows that may be read: the first set's dev half and the three selection sets."""
    rows = [row for row in read_rows(EMPATHY_SET) if split_of(row) == "dev"]
    for path in (EMPATHY_SELECTION, EMPATHY_SELECTION_V2, EMPATHY_SELECTION_V3):
        rows += read_rows(path)
    if any(split_of(row) not in TUNING_SPLITS for row in rows):
        raise ValueError("a held-out empathy row among the tuning rows")
    return rows


async def tuning_figures(url: str, api_key: str = "") -> dict[str, Any]:
    rows = empathy_tuning_rows()
    answers = await ask_abbey(url, rows, "empathy", api_key)
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses = []
    for row, answer in zip(rows, answers, strict=True):
        split = split_of(row)
        total[split] += 1
        if answer is not None and judge(row, answer)["passed"]:
            passed[split] += 1
            continue
        state = (answer or {}).get("emotional_state") or {}
        misses.append(
            {
                "split": split,
                "text": row["text"],
                "labelled": [row.get("emotion"), row.get("intensity")],
                "primary": state.get("primary"),
                "intensity": state.get("intensity"),
                "tone": (answer or {}).get("tone"),
                "answer": str((answer or {}).get("content", ""))[:400],
            }
        )
    return {
        "empathy": {split: f"{passed[split]}/{total[split]}" for split in TUNING_SPLITS},
        "conversations": (await eval_conversations(url, api_key))["all"],
        "sarcasm": await eval_sarcasm(url, SARCASM_SELECTION, api_key),
        "small_talk": await eval_small_talk(url, SMALL_TALK_SELECTION, api_key),
        "empathy_misses": misses,
    }


def one_line(figures: dict[str, Any]) -> str:
    empathy = " / ".join(figures["empathy"][split] for split in TUNING_SPLITS)
    sarcasm, small = figures["sarcasm"], figures["small_talk"]
    return (
        f"empathy (dev / selection v1 / v2 / v3) {empathy} | conversations {figures['conversations']['acknowledged']}"
        f" | sarcasm {sarcasm['sarcastic_not_cheered']['right']}, {sarcasm['sincere_read_as_good_news']['right']}"
        f" | small talk {small['small_talk_in_kind']['right']}, {small['other_taken_for_small_talk']['count']}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the gateway of a running mesh (`make run`)")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--misses", type=Path, help="write the empathy rows that did not pass here (JSON)")
    args = parser.parse_args(argv)
    figures = asyncio.run(tuning_figures(args.url, args.api_key))
    print(one_line(figures))
    if args.misses:
        args.misses.write_text(json.dumps(figures["empathy_misses"], indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
