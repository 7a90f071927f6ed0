"""Abbey on technical help asked in distress: steps for a technical problem told with feeling, care alone otherwise.

The set is tests/blind/abbey_technical_distress_v1.jsonl: 320 messages, 170 whose good answer includes technical
steps (a technical problem or ask told with feeling, in every shape: questions, problem reports, pasted errors,
pleas) and 150 that need care alone (most of them about software, work in tech or devices, or "how do I" about a
life), written by a helper that never saw Abbey or her data and frozen before her technical head was fitted
(tests/blind/README_abbey_technical_distress_v1.md). It is for reporting only: no row, and no mistake, is ever
read to change Abbey. Reported first: tests/blind/abbey_statements_blind_v1.jsonl (240, README there): statements
that ask nothing (about a life or about technology) need care alone; technical problems told as plain statements,
or asked, need steps.

Each message goes to POST /api/v1/chat/abbey of a running mesh in a fresh session (`empathy.ask_abbey`). A message
is answered technically when her reasoning chain has a knowledge step: steps grounded in a passage, no trustworthy
knowledge found, or the knowledge unavailable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.eval.empathy import ask_abbey, read_rows
from tests.eval.metrics import answers_where

TECHNICAL_SET = Path(__file__).resolve().parents[1] / "blind" / "abbey_technical_distress_v1.jsonl"
STATEMENTS_SET = Path(__file__).resolve().parents[1] / "blind" / "abbey_statements_blind_v1.jsonl"
KNOWLEDGE_STEPS = ("Grounded the steps in", "No trustworthy knowledge found", "Knowledge unavailable")


def answered_technically(answer: dict[str, Any]) -> bool:
    return any(
        str(step.get("description", "")).startswith(KNOWLEDGE_STEPS) for step in answer.get("reasoning_steps", [])
    )


async def eval_technical(
    url: str, api_key: str = "", concurrency: int = 4, path: Path = TECHNICAL_SET
) -> dict[str, Any]:
    """Of the rows that need steps and of those that need care alone, how many were answered technically."""
    rows = read_rows(path)
    answers = await ask_abbey(url, rows, "technical", api_key, concurrency)
    report: dict[str, Any] = {"set": path.name, "errors": sum(answer is None for answer in answers)}
    for label, key in ((True, "needs_steps"), (False, "care_only")):
        counted = answers_where(rows, answers, "needs_technical", label, answered_technically)
        report[key] = {"n": counted["n"], "answered_technically": counted["count"]}
    return report


def print_technical(report: dict[str, Any]) -> None:
    steps, care = report["needs_steps"], report["care_only"]
    print(
        f"\n== technical or care ({report['set']}, blind, errors {report['errors']}): "
        f"needing steps answered technically {steps['answered_technically']} of {steps['n']}; "
        f"needing care alone answered technically {care['answered_technically']} of {care['n']}"
    )
