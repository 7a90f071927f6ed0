"""Syntax checks by real parsers: tree-sitter grammars from their per-language PyPI packages.

`check(language, code)` says VALID only when a real parser accepted the whole block
(no ERROR or MISSING node). Where the language's own reference parser ships with
Python it must agree too (CPython's `ast` for Python, `json`, `tomllib`): tree-sitter's
Python grammar, for one, still accepts Python 2's `print "x"`. A language with no
grammar here is UNCHECKED, never valid. The grammars are compiled into their wheels:
nothing is downloaded at run time.

Parsers are not thread-safe, so each thread keeps its own (the check pool in
codeblocks.py runs these off the event loop). CPython 3.11's `ast.parse` is not
thread-safe either: its AST constructor keeps one recursion counter per interpreter,
and a thread switch inside it (a garbage collection running a finaliser) makes a
concurrent parse fail with a spurious "SystemError: AST constructor recursion depth
mismatch" (python/cpython#106905). Python checks therefore take a lock; they hold
the GIL throughout anyway, so no parallelism is lost.
"""

from __future__ import annotations

import ast
import enum
import importlib
import json
import threading
import tomllib
import warnings
from collections.abc import Callable
from functools import cache

import tree_sitter

from services.common import languages

# Longer blocks are not parsed (UNCHECKED): a bound on the work one block can cause.
MAX_CHECK_CHARS = 200_000


class CodeCheck(enum.Enum):
    """What a parser said; mirrors personamesh.v1.CodeCheck."""

    VALID = "valid"
    INVALID = "invalid"
    UNCHECKED = "unchecked"


# One Python parse at a time (see the module docstring); it also keeps catch_warnings, which edits the
# process-wide warning filters, from racing itself.
_PYTHON_PARSE = threading.Lock()


def _python(code: str) -> None:
    with _PYTHON_PARSE, warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "invalid escape sequence" is a warning, not an error
        ast.parse(code)


# The language's own reference parser, where Python ships one; it raises on a syntax error.
_REFERENCE: dict[str, Callable[[str], object]] = {"python": _python, "json": json.loads, "toml": tomllib.loads}
_local = threading.local()


@cache
def grammar(language: str) -> tree_sitter.Language | None:
    """The compiled tree-sitter grammar of a registered language; None when it has none or its package is missing."""
    spec = languages.BY_NAME[language].grammar if language in languages.BY_NAME else ""
    if not spec:
        return None
    module_name, function = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return tree_sitter.Language(getattr(module, function)())


def _parser(language: str) -> tree_sitter.Parser | None:
    parsers: dict[str, tree_sitter.Parser] = _local.__dict__.setdefault("parsers", {})
    if language not in parsers:
        compiled = grammar(language)
        if compiled is None:
            return None
        parsers[language] = tree_sitter.Parser(compiled)
    return parsers[language]


def check(language: str, code: str) -> CodeCheck:
    """VALID when the language's parser(s) accept `code`, INVALID when one rejects it, else UNCHECKED."""
    language = languages.canonical(language)
    parser = _parser(language) if language else None
    if parser is None or len(code) > MAX_CHECK_CHARS:
        return CodeCheck.UNCHECKED
    if not code.strip():
        return CodeCheck.INVALID
    tree = parser.parse(code.encode("utf-8"))
    if tree.root_node.has_error:
        return CodeCheck.INVALID
    reference = _REFERENCE.get(language)
    if reference is not None:
        try:
            reference(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return CodeCheck.INVALID
    return CodeCheck.VALID


def error_location(language: str, code: str) -> tuple[int, int] | None:
    """(line, column), 1-based, of the first syntax error a parser finds; None when it finds none."""
    language = languages.canonical(language)
    parser = _parser(language)
    if parser is None:
        return None
    tree = parser.parse(code.encode("utf-8"))
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node.start_point.row + 1, node.start_point.column + 1
        if node.has_error:
            stack.extend(reversed(node.children))
    if language == "python":
        try:
            _python(code)
        except SyntaxError as error:
            return error.lineno or 1, error.offset or 1
    return None
