"""Abbey on situations told without naming a feeling: does she acknowledge what the writer most likely feels?

The set is tests/blind/situation_feelings_v1.jsonl: 260 messages about the writer's life, each labelled with the
Ekman group a typical writer feels and whether a word in it names a feeling (`implicit` when none does), written by
a helper that never saw Abbey, Abi or their data and frozen before Abbey's situation head was fitted (sha256 in
tests/blind/README.md). It is for reporting only: no row, and no mistake, is ever read to change Abbey.

Each message goes to POST /api/v1/chat/abbey of a running mesh in a fresh session (`empathy.ask_abbey`). A row is
acknowledged when the emotion Abbey answers to folds into its labelled group, as the empathy task counts it; a
neutral row is acknowledged when she answers to no feeling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.eval.empathy import acknowledged_emotions, ask_abbey, read_rows

SITUATIONS_SET = Path(__file__).resolve().parents[1] / "blind" / "situation_feelings_v1.jsonl"


def acknowledged(row: dict[str, Any], answer: dict[str, Any]) -> bool:
    primary = (answer.get("emotional_state") or {}).get("primary", "") or "neutral"
    return primary in acknowledged_emotions(row["ekman"])


async def eval_situations(url: str, api_key: str = "", concurrency: int = 4) -> dict[str, Any]:
    """The acknowledged share on every row, on the implicit feeling rows, per group, and the neutral rows that were
    answered as a feeling."""
    rows = read_rows(SITUATIONS_SET)
    answers = await ask_abbey(url, rows, "situations", api_key, concurrency)
    groups: dict[str, list[bool]] = {}
    errors = 0
    for row, answer in zip(rows, answers, strict=True):
        if answer is None:
            errors += 1
            continue
        hit = acknowledged(row, answer)
        keys = ["all", row["ekman"]]
        if row["ekman"] != "neutral":
            keys.append("implicit feelings" if row["implicit"] else "named feelings")
        for key in keys:
            groups.setdefault(key, []).append(hit)
    report: dict[str, Any] = {"errors": errors}
    for key, hits in groups.items():
        report[key] = {"n": len(hits), "acknowledged": sum(hits), "share": round(sum(hits) / len(hits), 4)}
    neutral = groups.get("neutral", [])
    report["neutral read as a feeling"] = len(neutral) - sum(neutral)
    return report


def print_situations(report: dict[str, Any]) -> None:
    overall = report.get("all", {"n": 0, "acknowledged": 0, "share": 0.0})
    print(
        f"\n== situations ({SITUATIONS_SET.name}, blind, n={overall['n']}, errors {report['errors']}): acknowledged "
        f"{overall['share']:.3f}; neutral rows read as a feeling {report['neutral read as a feeling']}"
    )
    for key, figures in report.items():
        if isinstance(figures, dict) and key != "all":
            print(f"  {key:<18} {figures['acknowledged']:>3} of {figures['n']:<3} {figures['share']:.3f}")
