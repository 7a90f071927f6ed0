"""How often a Python definition of the documentation is used in real code: a popularity prior for the reranker.

Among passages that all fit a question's words ("get the current date": `datetime.datetime.now()`, an asyncio
example printing the date with `call_later`), the one people use is the better answer; search engines for code
weigh such a prior. The counts come from a table (`models/usage.json`) that `python -m services.aviva.training.usage`
builds from the Python files of the standard library and of the pinned service environment. Each definition is
counted by the one needle that names it in code:

- a built-in function (`int`, `sorted`): bare calls `int(`;
- a method of a built-in type (`dict.get`, `str.split`): method calls `.get(`, `.split(`, since code calls them on
  values, never through the type's name;
- anything else (`json.loads`, `datetime.datetime.now`, `os.path.getsize`): the last two names joined,
  `json.loads`, `datetime.now`, `path.getsize`.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

from services.common.knowledge.passage import Passage

USAGE_FILE = Path(__file__).parent / "models" / "usage.json"
# The words Sphinx writes before a definition's name in its heading ("class json.JSONDecoder(...)").
_KEYWORDS = re.compile(
    r"^(?:(?:class|classmethod|staticmethod|coroutine|abstractmethod|awaitable|async|method|exception|function|"
    r"decorator)\s+)+"
)
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
BUILTIN_TYPES = frozenset(
    {"str", "bytes", "bytearray", "dict", "list", "set", "frozenset", "int", "float", "tuple", "object",
     "memoryview", "complex", "range"}
)  # fmt: skip


def definition_name(lead: str) -> str:
    """The dotted name a definition's signature defines: "json.JSONDecoder" for
    "class json.JSONDecoder(*, object_hook=None, ...)"; "" when the lead names nothing."""
    match = _NAME.match(_KEYWORDS.sub("", lead.strip()))
    return match.group(0) if match else ""


def needle(name: str) -> str:
    """What names `name` in code, as the table counts it: "int(", ".get(", "json.loads" (see the module docstring)."""
    parts = name.split(".")
    if len(parts) == 1:
        return f"{name}("
    if parts[-2] in BUILTIN_TYPES:
        return f".{parts[-1]}("
    return f"{parts[-2]}.{parts[-1]}"


@cache
def shipped_counts(path: Path = USAGE_FILE) -> dict[str, int]:
    return {key: int(value) for key, value in json.loads(path.read_text(encoding="utf-8"))["counts"].items()}


def usage(passage: Passage, counts: dict[str, int] | None = None) -> float:
    """log(1 + uses) of the Python definition a passage documents, scaled to about 0..1; 0 for any other passage."""
    if not (passage.python and passage.lead):
        return 0.0
    name = definition_name(passage.lead)
    if not name:
        return 0.0
    table = shipped_counts() if counts is None else counts
    return math.log1p(table.get(needle(name), 0)) / 10.0
