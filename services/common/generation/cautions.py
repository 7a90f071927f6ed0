"""A caution for commands and calls that destroy or overwrite data beyond an undo (`git reset --hard`, `rm -r`,
`dd`, `shutil.rmtree`), said by an answer that shows one.

An expert who hands out commands says when one cannot be undone; the documentation says it somewhere in the page,
not in the passage an answer quotes ("what does git rebase -i HEAD~3 do" had got `git reset --hard HEAD~3` bare).
The table is data (`cautions.yaml`), one entry per command, each with an example and a look-alike it must not
match. Written here: no library lists destructive shell commands with what they destroy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import yaml

TABLE: Final = Path(__file__).with_name("cautions.yaml")


@dataclass(frozen=True)
class Caution:
    name: str
    shows: re.Pattern[str]
    caution: str
    example: str
    lookalike: str


@cache
def cautions() -> tuple[Caution, ...]:
    rows = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    return tuple(
        Caution(row["name"], re.compile(row["shows"]), row["caution"], row["example"], row["not"]) for row in rows
    )


def caution_for(shown: str) -> str:
    """One sentence for each destructive command or call in `shown` (the commands and code an answer shows), in
    table order; "" when there is none."""
    return " ".join(_sentence(entry) for entry in cautions() if entry.shows.search(shown))


def caution_sentences() -> frozenset[str]:
    """Every sentence `caution_for` may say: the persona's own words, not claims for the fact checker."""
    return frozenset(_sentence(entry) for entry in cautions())


def _sentence(entry: Caution) -> str:
    return f"Careful: `{entry.name}` {entry.caution}."
