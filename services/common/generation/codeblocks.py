"""Fenced code blocks in an answer: extraction, language detection and a syntax check per language.

A block is `valid` only when a checker for its language accepted it; languages
with no checker here report `valid = False` ("could not be checked"), as the
contract says.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import sqlite3
import subprocess
import tomllib
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass

import yaml

from services.common import languages

_FENCE = re.compile(r"^```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_OPEN_FENCE = re.compile(r"^```[ \t]*([\w+#.-]*)[^\n]*\n", re.MULTILINE)

# Languages whose structure we check by bracket balance outside strings and comments.
_C_FAMILY = languages.checked_by("brackets")


@dataclass(frozen=True)
class ExtractedBlock:
    language: str
    code: str
    valid: bool


def normalize_language(language: str) -> str:
    """The canonical name for a fence tag ("py" -> "python"), from the mesh's language registry."""
    return languages.canonical(language)


def detect_language(code: str) -> str:
    """A best guess for an unlabelled block, from telltale syntax."""
    stripped = code.strip()
    if not stripped:
        return ""
    if stripped[0] in "{[":
        try:
            json.loads(stripped)
            return "json"
        except ValueError:
            pass
    return languages.guess_from_syntax(stripped)


def _python(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _json(code: str) -> bool:
    try:
        json.loads(code)
    except ValueError:
        return False
    return True


def _yaml(code: str) -> bool:
    try:
        yaml.safe_load(code)
    except yaml.YAMLError:
        return False
    return True


def _toml(code: str) -> bool:
    try:
        tomllib.loads(code)
    except tomllib.TOMLDecodeError:
        return False
    return True


def _xml(code: str) -> bool:
    try:
        ElementTree.fromstring(code)
    except ElementTree.ParseError:
        return False
    return True


def _balanced(code: str) -> bool:
    """Brackets balance outside string literals and // or /* */ comments."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if code.startswith("//", i):
            end = code.find("\n", i)
            i = n if end < 0 else end
            continue
        if code.startswith("/*", i):
            end = code.find("*/", i + 2)
            if end < 0:
                return False
            i = end + 2
            continue
        if ch in "\"'`":
            j = i + 1
            while j < n and code[j] != ch:
                j += 2 if code[j] == "\\" else 1
            if j >= n:
                return ch == "'"  # a lone apostrophe (Rust lifetimes, char-less text) is not an error
            i = j + 1
            continue
        if ch in "([{":
            stack.append(ch)
        elif ch in ")]}" and (not stack or stack.pop() != pairs[ch]):
            return False
        i += 1
    return not stack


def _sql(code: str) -> bool:
    """SQLite's parser: a syntax error fails, a missing table (unknown schema) does not."""
    without_comments = "\n".join(line for line in code.splitlines() if not line.strip().startswith("--"))
    statements = [part.strip() for part in without_comments.split(";") if part.strip()]
    if not statements:
        return False
    with closing(sqlite3.connect(":memory:")) as connection:
        for statement in statements:
            try:
                connection.execute("EXPLAIN " + statement)
            except sqlite3.OperationalError as error:
                if "syntax error" in str(error) or "incomplete input" in str(error):
                    return False
            except sqlite3.Error:
                return False
    return True


def _bash(code: str) -> bool:
    """`bash -n` parses without running anything."""
    bash = shutil.which("bash")
    if bash is None:
        return False
    try:
        result = subprocess.run([bash, "-n"], input=code.encode("utf-8"), capture_output=True, timeout=2, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


_CHECKERS: dict[str, Callable[[str], bool]] = {
    "python": _python,
    "sql": _sql,
    "bash": _bash,
    "json": _json,
    "yaml": _yaml,
    "toml": _toml,
    "xml": _xml,
}


def check_syntax(language: str, code: str) -> bool:
    """True only when a checker for `language` accepted `code`."""
    language = normalize_language(language)
    checker = _CHECKERS.get(language)
    if checker is not None:
        return checker(code)
    if language in _C_FAMILY:
        return _balanced(code)
    return False


def extract_code_blocks(text: str) -> list[ExtractedBlock]:
    """Every fenced block, in order; an unclosed trailing fence (a cut answer) is kept as invalid."""
    blocks: list[ExtractedBlock] = []
    last_end = 0
    for match in _FENCE.finditer(text):
        code = match.group(2)
        if code.endswith("\n"):
            code = code[:-1]
        language = normalize_language(match.group(1)) or detect_language(code)
        blocks.append(ExtractedBlock(language, code, check_syntax(language, code)))
        last_end = match.end()
    trailing = _OPEN_FENCE.search(text, last_end)
    if trailing is not None and text[trailing.end() :].strip():
        code = text[trailing.end() :]
        language = normalize_language(trailing.group(1)) or detect_language(code)
        blocks.append(ExtractedBlock(language, code, False))
    return blocks
