"""What one retrieved documentation passage offers an answer: its lead (call, option or command), a minimal
example taken from it, and where it comes from.

Passages come from the documentation corpus (services/embeddings/corpus): a Python definition's title ends
in its backticked signature, a man page option's in its backticked option line, an example's code is fenced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from personamesh.v1 import embedding_index_service_pb2 as index_pb2

_FENCED = re.compile(r"```(\w*)[^\n]*\n(.*?)```", re.DOTALL)
_BACKTICKED = re.compile(r"`([^`]+)`")
_MAN_SOURCE = re.compile(r"^man/([\w.+-]+)\.(\d)$")


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, read for answering."""

    hit: index_pb2.KnowledgeHit
    lead: str  # the call signature, option line or first command; "" if the passage has none
    examples: tuple[tuple[str, str], ...]  # (language, code) blocks in the passage, in order
    page: str  # "tar" for man:tar(1), "datetime" for library/datetime.html, "" otherwise
    man: bool
    python: bool
    heading: str  # the passage's own heading (the last part of the title)

    @property
    def tool(self) -> str:
        """The command a man page documents: "git" for git-reset(1), "tar" for tar(1)."""
        return self.page.split("-")[0] if self.man else ""

    @property
    def citation(self) -> str:
        return f"{self.hit.title} <{self.hit.url}>" if self.hit.url else self.hit.title


def read(hit: index_pb2.KnowledgeHit) -> Passage:
    """The parts of a hit an answer can lead with."""
    man_source = _MAN_SOURCE.match(hit.source)
    heading = hit.title.split(" > ")[-1]
    backticked = _BACKTICKED.findall(heading)
    examples = tuple(
        (language or ("bash" if man_source else "python"), code.strip("\n"))
        for language, code in _FENCED.findall(hit.text)
        if code.strip()
    )
    lead = backticked[-1].strip() if backticked else ""
    if not lead and examples and man_source:
        lead = examples[0][1].splitlines()[0]
    page = ""
    if man_source:
        page = man_source.group(1)
    elif hit.url.startswith("https://docs.python.org/"):
        page = hit.url.rsplit("/", 1)[-1].split(".html")[0]
    return Passage(
        hit=hit,
        lead=lead,
        examples=examples,
        page=page,
        man=bool(man_source),
        python=hit.url.startswith("https://docs.python.org/"),
        heading=heading,
    )


def minimal_example(passage: Passage, max_lines: int = 6) -> tuple[str, str] | None:
    """The passage's first code sample, cut to its first `max_lines` lines (at a blank line when it can)."""
    if not passage.examples:
        return None
    language, code = passage.examples[0]
    lines = code.splitlines()
    if len(lines) > max_lines:
        blank = next((i for i in range(2, max_lines + 1) if i < len(lines) and not lines[i].strip()), max_lines)
        lines = lines[:blank]
    return language, "\n".join(lines).rstrip()
