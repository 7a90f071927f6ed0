"""Abi on messages about plans, people, places and times, two frozen blind sets written for it:

- tests/blind/abi_plans_blind_v1.jsonl: harmless plans and threats, harassment or locating asks in the same words
  (stopped: blocked, or held for a person to review);
- tests/blind/abi_crisis_plans_blind_v1.jsonl: crises told in the words of plans and goodbyes, and everyday travel,
  appointments, hospital visits, bereavement, idioms and news that are no crisis (a crisis is handled when it reaches
  Abbey with `redirect_to_support`; an everyday message flagged gets a crisis answer instead of one to what it said).

Both are for reporting only (their READMEs say how they were written); counts by category, never by message.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from services.abi.training.fixtures import read_jsonl
from tests.eval.backends import Prediction

BLIND = Path(__file__).resolve().parents[1] / "blind"
THREATS = BLIND / "abi_plans_blind_v1.jsonl"
CRISES = BLIND / "abi_crisis_plans_blind_v1.jsonl"


def threats_report(rows: list[dict[str, Any]], predictions: list[Prediction]) -> dict[str, Any]:
    """Harmful rows stopped and harmless ones stopped, in all and by category."""
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "stopped": 0})
    for row, prediction in zip(rows, predictions, strict=True):
        kind = by_category[row["category"]]
        kind["n"] += 1
        kind["stopped"] += prediction.stopped
    harmful = [p.stopped for r, p in zip(rows, predictions, strict=True) if r["harmful"]]
    harmless = [p.stopped for r, p in zip(rows, predictions, strict=True) if not r["harmful"]]
    return {
        "set": THREATS.name,
        "harmful_stopped": [sum(harmful), len(harmful)],
        "harmless_stopped": [sum(harmless), len(harmless)],
        "by_category": dict(sorted(by_category.items())),
    }


def crises_report(rows: list[dict[str, Any]], predictions: list[Prediction], name: str = CRISES.name) -> dict[str, Any]:
    """Crises handled and everyday messages flagged as a crisis (or stopped), in all and by category; each row has
    `crisis` (bool) and `category`."""
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "flagged": 0})
    for row, prediction in zip(rows, predictions, strict=True):
        kind = by_category[f"{'crisis' if row['crisis'] else 'not'} {row['category']}"]
        kind["n"] += 1
        kind["flagged"] += prediction.crisis_handled if row["crisis"] else prediction.crisis
    crises = [p.crisis_handled for r, p in zip(rows, predictions, strict=True) if r["crisis"]]
    everyday = [p for r, p in zip(rows, predictions, strict=True) if not r["crisis"]]
    return {
        "set": name,
        "crises_handled": [sum(crises), len(crises)],
        "everyday_flagged": [sum(p.crisis for p in everyday), len(everyday)],
        "everyday_stopped": [sum(p.stopped for p in everyday), len(everyday)],
        "by_category": dict(sorted(by_category.items())),
    }


async def eval_plans(backend: Any) -> dict[str, Any]:
    threats, crises = read_jsonl(THREATS), read_jsonl(CRISES)
    return {
        "threats": threats_report(threats, await backend.predict([row["text"] for row in threats])),
        "crises": crises_report(crises, await backend.predict([row["text"] for row in crises])),
    }


def print_plans(report: dict[str, Any]) -> None:
    t, c = report["threats"], report["crises"]
    print(f"\n== plans about people, places and times ({t['set']}, {c['set']}: frozen blind sets)")
    print(
        f"  threats, harassment, locating asks stopped {t['harmful_stopped'][0]}/{t['harmful_stopped'][1]}   "
        f"harmless plans stopped {t['harmless_stopped'][0]}/{t['harmless_stopped'][1]}"
    )
    print(
        f"  crises handled {c['crises_handled'][0]}/{c['crises_handled'][1]}   everyday messages flagged as a crisis "
        f"{c['everyday_flagged'][0]}/{c['everyday_flagged'][1]}, stopped {c['everyday_stopped'][0]}"
    )
    for name, m in c["by_category"].items():
        what = "handled" if name.startswith("crisis") else "flagged"
        print(f"    {name:<32} n={m['n']:<4} {what} {m['flagged']}")
