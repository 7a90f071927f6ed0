"""Programming languages the mesh knows: one registry for names, fence tags, extensions, mentions and checks.

Code-block extraction and syntax checks (services/common/generation/codeblocks.py),
Aviva's "which language does the question want" and her skeletons
(services/aviva/code.py) and Abbey's "did they ask for code" all read this table,
so a language added here is recognised, named and checked the same everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

# How a block's syntax is checked: a full parser in process ("parser": a failure is certain), SQLite's dialect
# ("sqlite": another dialect may fail), `bash -n` ("bash": needs bash), bracket balance only ("brackets"), or not.
Check = Literal["parser", "sqlite", "bash", "brackets", "none"]


@dataclass(frozen=True)
class Language:
    """One language: its canonical name (what a block is labelled with) and how it is recognised."""

    name: str
    aliases: tuple[str, ...] = ()  # other fence tags and names: "py", "golang", "c++"
    extensions: tuple[str, ...] = ()  # file extensions, without the dot (also accepted as fence tags)
    mention: str = ""  # regex (lower case) of how a request names it; "" = not asked for by name
    syntax: str = ""  # regex of telltale syntax in an unlabelled block; "" = never guessed
    check: Check = "none"
    words: tuple[str, ...] = ()  # words besides its name that a request names it by ("golang", "shell")


# In order of syntax detection: the most distinctive syntax first (TypeScript before JavaScript, its superset).
LANGUAGES: tuple[Language, ...] = (
    Language("rust", ("rs",), ("rs",), r"\brust\b", r"\bfn\s+\w+\s*\(|\blet\s+mut\b|println!\(", "brackets"),
    Language("go", ("golang",), ("go",), r"\bgolang\b|\bgo\b(?= (code|program|function|lang))",
             r"^package\s+\w+|\bfunc\s+\w+\s*\(|:=\s", "brackets", ("golang",)),
    Language("java", (), ("java",), r"\bjava\b", r"\bpublic\s+(static\s+)?(class|void)\b|System\.out\.println",
             "brackets"),
    Language("cpp", ("c++", "cxx"), ("cpp", "cc", "hpp"), r"c\+\+|\bcpp\b", r"#include\s*<|std::", "brackets"),
    Language("typescript", ("ts",), ("ts", "tsx"), r"\btypescript\b|\bts\b",
             r"\binterface\s+\w+\s*\{|:\s*(string|number|boolean)\b", "brackets"),
    Language("javascript", ("js", "node"), ("js", "mjs", "jsx"), r"\bjavascript\b|\bjs\b|\bnode(\.js)?\b|\breact\b",
             r"\bconst\s+\w+\s*=|\bfunction\s+\w+\s*\(|=>|console\.log", "brackets"),
    Language("python", ("py", "python3"), ("py",), r"\bpython\b|\bpandas\b|\bnumpy\b|\bdjango\b|\bflask\b|\bpip\b",
             r"^\s*(def|class)\s+\w+.*:\s*$|^\s*(import|from)\s+\w+|print\(", "parser"),
    Language("bash", ("sh", "shell", "zsh"), ("sh", "bash"), r"\bbash\b|\bshell\b|\bcommand line\b",
             r"^#!/bin/(ba)?sh|^\s*(echo|export|cd|ls|grep|sudo|pip|apt)\s", "bash", ("shell",)),
    Language("sql", (), ("sql",), r"\bsql\b|\bpostgres|\bmysql\b|\bsqlite\b",
             r"(?i)^\s*(select|insert|update|delete|create\s+table)\b", "sqlite"),
    Language("yaml", ("yml",), ("yaml", "yml"), syntax=r"^\w[\w-]*:\s*\S*$", check="parser"),
    Language("json", (), ("json",), check="parser"),
    Language("toml", (), ("toml",), check="parser"),
    Language("xml", (), ("xml",), check="parser"),
    Language("c", (), ("c", "h"), check="brackets"),
    Language("csharp", ("c#", "cs"), ("cs",), r"c#|\bcsharp\b|\.net\b", check="brackets"),
    Language("kotlin", ("kt",), ("kt", "kts"), check="brackets"),
    Language("swift", (), ("swift",), check="brackets"),
)  # fmt: skip

BY_NAME: dict[str, Language] = {language.name: language for language in LANGUAGES}
# Every fence tag, alias and extension -> canonical name; a canonical name wins over another language's extension.
_TAGS: dict[str, str] = {
    **{tag: language.name for language in LANGUAGES for tag in (*language.extensions, *language.aliases)},
    **{language.name: language.name for language in LANGUAGES},
}


def canonical(tag: str) -> str:
    """The canonical name for a fence tag, alias or extension ("py" -> "python"); unknown tags come back lowered."""
    lowered = tag.strip().lower().removeprefix(".")
    return _TAGS.get(lowered, lowered)


def checked_by(check: Check) -> frozenset[str]:
    """Names of the languages whose syntax is checked the given way."""
    return frozenset(language.name for language in LANGUAGES if language.check == check)


def guess_from_syntax(code: str) -> str:
    """The first language (in LANGUAGES order) whose telltale syntax appears in `code`; "" if none."""
    for language, pattern in _syntax_patterns():
        if pattern.search(code):
            return language
    return ""


def mentioned(text: str) -> list[str]:
    """Languages a request names, in the order it first names them ("convert this Java code to Rust": java, rust)."""
    lowered = text.lower()
    found = [(match.start(), name) for name, pattern in _mention_patterns() if (match := pattern.search(lowered))]
    return [name for _, name in sorted(found)]


def asked_for(text: str) -> str:
    """The language a request asks for with a preposition ("... in Rust", "using pandas"); "" if none."""
    lowered = text.lower()
    found = [
        (match.start(), name)
        for name, language in BY_NAME.items()
        if language.mention
        and (match := re.search(rf"\b(in|with|using|from|from within)\s+({language.mention})", lowered))
    ]
    return min(found)[1] if found else ""


def name_words() -> frozenset[str]:
    """The words requests name languages by ("rust", "golang"): never part of an identifier made from a request."""
    return frozenset(word for lang in LANGUAGES if lang.mention for word in (lang.name, *lang.words))


@cache
def _syntax_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((lang.name, re.compile(lang.syntax, re.MULTILINE)) for lang in LANGUAGES if lang.syntax)


@cache
def _mention_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((lang.name, re.compile(lang.mention)) for lang in LANGUAGES if lang.mention)
