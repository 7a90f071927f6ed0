"""Load the hand-written fixtures and the public data, with a deterministic hold-out rule.

A fixture row is held out (for tests, never for fitting) when the first byte of
sha256(text) is divisible by 4, the same kind of rule the public eval files use.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"
# The shared train/eval data (train/, eval/) lives beside the repository checkout
# (`../shared`, as in CI); PM_SHARED_DATA points elsewhere.
SHARED = Path(os.environ.get("PM_SHARED_DATA", Path(__file__).resolve().parents[3].parent / "shared"))


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    group: str
    category: str = ""


def is_held_out(text: str) -> bool:
    return hashlib.sha256(text.encode("utf-8")).digest()[0] % 4 == 0


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def routing_fixtures(held_out: bool) -> list[Example]:
    """Routing fixtures: the training part (held_out=False) or the test part (True)."""
    groups = yaml.safe_load((DATA_DIR / "routing_fixtures.yaml").read_text(encoding="utf-8"))
    return [
        Example(text, spec["label"], name, spec.get("category", ""))
        for name, spec in groups.items()
        for text in spec["texts"]
        if is_held_out(text) == held_out
    ]


def query_type_fixtures(held_out: bool) -> list[Example]:
    groups = yaml.safe_load((DATA_DIR / "query_type_fixtures.yaml").read_text(encoding="utf-8"))
    return [
        Example(text, label, "fixture:" + label)
        for label, texts in groups.items()
        for text in texts
        if is_held_out(text) == held_out
    ]
