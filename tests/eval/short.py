"""Abi on very short first-person messages (one to eight words, no earlier context), a frozen blind set written for
it: tests/blind/abi_short_statements_blind_v1.jsonl (its README says how it was written).

Everyday states, updates, plans and achievements ("dead tired", "done for the day") share words with crisis talk;
an everyday message flagged gets a crisis answer instead of one to what it said, a crisis missed gets none. Rows a
careful reader could not tell without context (`ambiguous`) are counted apart: flagging them is neither right nor
wrong. For reporting only; counts by kind, never by message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.abi.training.fixtures import read_jsonl
from tests.eval.plans import crises_report

SHORT = Path(__file__).resolve().parents[1] / "blind" / "abi_short_statements_blind_v1.jsonl"


async def eval_short(backend: Any) -> dict[str, Any]:
    rows = read_jsonl(SHORT)
    predictions = await backend.predict([row["text"] for row in rows])
    told = [
        ({"crisis": row["label"] == "crisis", "category": row["kind"]}, prediction)
        for row, prediction in zip(rows, predictions, strict=True)
        if row["label"] != "ambiguous"
    ]
    unclear = [prediction for row, prediction in zip(rows, predictions, strict=True) if row["label"] == "ambiguous"]
    report = crises_report([row for row, _ in told], [prediction for _, prediction in told], SHORT.name)
    report["ambiguous_flagged"] = [sum(p.crisis for p in unclear), len(unclear)]
    return report


def print_short(report: dict[str, Any]) -> None:
    print(f"\n== very short messages ({report['set']}: a frozen blind set)")
    print(
        f"  crises handled {report['crises_handled'][0]}/{report['crises_handled'][1]}   everyday messages flagged "
        f"as a crisis {report['everyday_flagged'][0]}/{report['everyday_flagged'][1]}, stopped "
        f"{report['everyday_stopped'][0]}   ambiguous flagged {report['ambiguous_flagged'][0]}/"
        f"{report['ambiguous_flagged'][1]}"
    )
    for name, m in report["by_category"].items():
        what = "handled" if name.startswith("crisis") else "flagged"
        print(f"    {name:<32} n={m['n']:<4} {what} {m['flagged']}")
