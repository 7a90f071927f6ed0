"""Which paths a `.dockerignore` keeps out of the build context, by Docker's rules.

Docker (moby/patternmatcher) matches each pattern against the path relative to the
context root and, failing that, against each of its parent directories; `*` and `?`
stop at `/`, `**` crosses directories, a leading `!` re-includes, and the last
matching pattern wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    exclusion: bool  # a `!pattern`: re-includes what matches


def _compile(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
        i += 1
    return re.compile(out + r"\Z")


def _clean(line: str) -> str:
    return line.strip().lstrip("/").rstrip("/")


class DockerIgnore:
    """A parsed `.dockerignore`."""

    def __init__(self, text: str) -> None:
        self.patterns: list[_Pattern] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            body = _clean(line[1:] if exclusion else line)
            if body:
                self.patterns.append(_Pattern(_compile(body), exclusion))

    @classmethod
    def load(cls, path: Path) -> DockerIgnore:
        return cls(path.read_text() if path.exists() else "")

    def excluded(self, relative: str) -> bool:
        path = _clean(relative)
        parents = [str(p) for p in reversed(Path(path).parents) if str(p) != "."]
        matched = False
        for pattern in self.patterns:
            hit = bool(pattern.regex.match(path)) or any(pattern.regex.match(parent) for parent in parents)
            if hit:
                matched = not pattern.exclusion
        return matched
