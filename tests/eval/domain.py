"""Aviva on questions outside her documentation's domain (tests/blind_domain, frozen, written blind).

An off-domain question ("What's the capital of Australia?") is handled when Aviva declines to answer it from a
passage: the domain gate's answer, or "no passage answers". An in-domain one (software asked in everyday words)
must not be gated; whether it is answered correctly is the documentation QA task's business. Totals only: the
set's mistakes are never listed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from services.aviva.compose import NO_PASSAGE, NO_SOURCE
from services.common.knowledge.domain import OUTSIDE

BLIND_DOMAIN = Path(__file__).resolve().parents[1] / "blind_domain" / "off_domain_blind_v1.jsonl"


def domain_rows() -> list[dict[str, Any]]:
    lines = BLIND_DOMAIN.read_text(encoding="utf-8").splitlines()
    return [{**json.loads(line), "split": "domain"} for line in lines if line.strip()]


def declined(answer: str) -> bool:
    """No passage was given as the answer: gated as off-domain, or no passage scored high enough."""
    return answer.startswith((OUTSIDE, NO_PASSAGE, NO_SOURCE))


def domain_report(split_rows: list[dict[str, Any]], answers: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {"n": len(split_rows)}
    for domain in ("off", "in"):
        pairs = [(row, answer) for row, answer in zip(split_rows, answers, strict=True) if row["domain"] == domain]
        n = max(1, len(pairs))
        styles: Counter[str] = Counter(row["style"] for row, _ in pairs)
        handled: Counter[str] = Counter(
            row["style"]
            for row, answer in pairs
            if (declined(answer) if domain == "off" else not answer.startswith(OUTSIDE))
        )
        result[domain] = {
            "n": len(pairs),
            "gated": round(sum(answer.startswith(OUTSIDE) for _, answer in pairs) / n, 4),
            "declined": round(sum(declined(answer) for _, answer in pairs) / n, 4),
            "handled_by_style": {style: round(handled[style] / styles[style], 3) for style in sorted(styles)},
        }
    return result
