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

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.eval.empathy import acknowledged_emotions, ask_abbey, read_rows

SITUATIONS_SET = Path(__file__).resolve().parents[1] / "blind" / "situation_feelings_v1.jsonl"


def acknowledged(row: dict[str, Any], answer: dict[str, Any]) -> bool:
    primary = (answer.get("emotional_state") or {}).get("primary", "") or "neutral"
    return primary in acknowledged_emotions(row["ekman"])


def tally(
    rows: list[dict[str, Any]], answers: list[dict[str, Any] | None], keys_of: Callable[[dict[str, Any]], list[str]]
) -> dict[str, Any]:
    """Per key (`keys_of` a row: "all", its group, ...), how many of its rows Abbey acknowledged; failed calls apart."""
    groups: dict[str, list[bool]] = {}
    errors = 0
    for row, answer in zip(rows, answers, strict=True):
        if answer is None:
            errors += 1
            continue
        for key in keys_of(row):
            groups.setdefault(key, []).append(acknowledged(row, answer))
    report: dict[str, Any] = {"errors": errors}
    for key, hits in groups.items():
        report[key] = {"n": len(hits), "acknowledged": sum(hits), "share": round(sum(hits) / len(hits), 4)}
    return report


def print_tally(heading: str, report: dict[str, Any]) -> None:
    """`heading` (formatted with the report's `n`, `acknowledged`, `share` and `errors`), then one line per key."""
    overall = report.get("all", {"n": 0, "acknowledged": 0, "share": 0.0})
    print("\n== " + heading.format(**overall, errors=report["errors"]))
    for key, figures in report.items():
        if isinstance(figures, dict) and key != "all":
            print(f"  {key:<18} {figures['acknowledged']:>3} of {figures['n']:<3} {figures['share']:.3f}")


def _situation_keys(row: dict[str, Any]) -> list[str]:
    if row["ekman"] == "neutral":
        return ["all", "neutral"]
    return ["all", row["ekman"], "implicit feelings" if row["implicit"] else "named feelings"]


async def eval_situations(url: str, api_key: str = "", concurrency: int = 4) -> dict[str, Any]:
    """The acknowledged share on every row, on the implicit feeling rows, per group, and the neutral rows that were
    answered as a feeling."""
    rows = read_rows(SITUATIONS_SET)
    report = tally(rows, await ask_abbey(url, rows, "situations", api_key, concurrency), _situation_keys)
    neutral = report.get("neutral", {"n": 0, "acknowledged": 0})
    report["neutral read as a feeling"] = neutral["n"] - neutral["acknowledged"]
    return report


def print_situations(report: dict[str, Any]) -> None:
    neutral = report["neutral read as a feeling"]
    print_tally(
        f"situations ({SITUATIONS_SET.name}, blind, n={{n}}, errors {{errors}}): acknowledged {{share:.3f}}; neutral "
        f"rows read as a feeling {neutral}",
        report,
    )
