"""Where the shared train/eval data lives, and reading JSON lines (every training script reads both)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# The shared train/eval data (train/, eval/) lives beside the repository checkout
# (`../shared`, as in CI); PM_SHARED_DATA points elsewhere.
SHARED = Path(os.environ.get("PM_SHARED_DATA", Path(__file__).resolve().parents[2].parent / "shared"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
