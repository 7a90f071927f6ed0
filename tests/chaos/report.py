"""One row per scenario: requests, lost, fallbacks, recovery seconds, pass/fail; printed and written as Markdown."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Result:
    """What one scenario measured, and the checks it failed (none: passed)."""

    name: str
    requests: int = 0
    lost: int = 0
    fallbacks: int = 0
    recovery_s: float | None = None
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def check(self, ok: bool, failure: str) -> None:
        if not ok:
            self.failures.append(failure)


HEADER = ("scenario", "requests", "lost", "fallbacks", "recovery s", "result", "notes")


def rows(results: list[Result]) -> list[tuple[str, ...]]:
    return [
        (
            r.name,
            str(r.requests),
            str(r.lost),
            str(r.fallbacks),
            "-" if r.recovery_s is None else f"{r.recovery_s:.2f}",
            "pass" if r.passed else "FAIL: " + "; ".join(r.failures),
            "; ".join(r.notes),
        )
        for r in results
    ]


def table(results: list[Result]) -> str:
    """A Markdown table (readable as plain text too)."""
    lines = [HEADER, tuple("---" for _ in HEADER), *rows(results)]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def write(results: list[Result], path: Path, settings: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    path.write_text(f"# make chaos, {stamp}\n\n{settings}\n\n{table(results)}\n", encoding="utf-8")
