"""Fenced code blocks in an answer: extraction, language names and the parser check of each block.

A block is `valid` only when a real parser for its language accepted it
(services/common/parsers.py); languages with no parser are UNCHECKED, not valid.
An answer's blocks are checked off the event loop, in a small bounded thread pool,
and at most `max_blocks` per message: the rest are reported UNCHECKED, so a message
with thousands of blocks costs a bounded amount of work and never stalls other calls.

A fence whose info string says `skeleton` (```go skeleton) is a labelled starting
point, not an answer: the block carries `skeleton = True`.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

from services.common import languages, parsers
from services.common.parsers import CodeCheck

_FENCE = re.compile(r"^```[ \t]*([\w+#.-]*)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_OPEN_FENCE = re.compile(r"^```[ \t]*([\w+#.-]*)([^\n]*)\n", re.MULTILINE)
# Blocks handed to one pool task: fewer hand-offs than one task per block, still fair to other messages.
_BATCH = 16


@dataclass(frozen=True)
class FencedBlock:
    """A block as written: not parsed yet."""

    language: str
    code: str
    closed: bool  # False for a trailing fence the answer never closed (a cut answer)
    skeleton: bool = False


@dataclass(frozen=True)
class ExtractedBlock:
    language: str
    code: str
    check: CodeCheck
    skeleton: bool = False

    @property
    def valid(self) -> bool:
        return self.check is CodeCheck.VALID


def normalize_language(language: str) -> str:
    """The canonical name for a fence tag ("py" -> "python"), from the mesh's language registry."""
    return languages.canonical(language)


def detect_language(code: str) -> str:
    """A best guess for an unlabelled block: telltale syntax, then Pygments."""
    stripped = code.strip()
    if not stripped:
        return ""
    if stripped[0] in "{[" and parsers.check("json", stripped) is CodeCheck.VALID:
        return "json"
    guessed = languages.guess_from_syntax(stripped)
    if guessed:
        return guessed
    # Nothing telltale and no Pygments guess we can parse: Python if CPython's parser takes it (plain
    # assignments and calls, the commonest unlabelled snippet), else unknown.
    return "python" if parsers.check("python", stripped) is CodeCheck.VALID else ""


def check_syntax(language: str, code: str) -> bool:
    """True only when a real parser for `language` accepted `code`."""
    return parsers.check(language, code) is CodeCheck.VALID


def find_blocks(text: str, guess_limit: int | None = None) -> list[FencedBlock]:
    """Every fenced block, in order, labelled but not parsed; an unclosed trailing fence is kept (closed=False).

    Guessing an unlabelled block's language costs ~10 ms (Pygments): only the first `guess_limit` blocks get a guess.
    """
    blocks: list[FencedBlock] = []
    last_end = 0
    for match in _FENCE.finditer(text):
        code = match.group(3)
        if code.endswith("\n"):
            code = code[:-1]
        guess = guess_limit is None or len(blocks) < guess_limit
        language = normalize_language(match.group(1)) or (detect_language(code) if guess else "")
        blocks.append(FencedBlock(language, code, True, "skeleton" in match.group(2).lower()))
        last_end = match.end()
    trailing = _OPEN_FENCE.search(text, last_end)
    if trailing is not None and text[trailing.end() :].strip():
        code = text[trailing.end() :]
        language = normalize_language(trailing.group(1)) or detect_language(code)
        blocks.append(FencedBlock(language, code, False, "skeleton" in trailing.group(2).lower()))
    return blocks


def _checked(block: FencedBlock) -> ExtractedBlock:
    # A cut block is invalid whatever its beginning looks like; a language without a parser stays unchecked.
    result = parsers.check(block.language, block.code)
    if not block.closed and result is CodeCheck.VALID:
        result = CodeCheck.INVALID
    return ExtractedBlock(block.language, block.code, result, block.skeleton)


def _check_all(blocks: list[FencedBlock]) -> list[ExtractedBlock]:
    return [_checked(block) for block in blocks]


def _unchecked(block: FencedBlock) -> ExtractedBlock:
    return ExtractedBlock(block.language, block.code, CodeCheck.UNCHECKED, block.skeleton)


def extract_code_blocks(text: str, max_blocks: int = 64) -> list[ExtractedBlock]:
    """Every block, checked here (for short trusted text such as one retrieved passage); past `max_blocks`
    unchecked."""
    blocks = find_blocks(text, max_blocks)
    return [_checked(b) if i < max_blocks else _unchecked(b) for i, b in enumerate(blocks)]


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="code-check")


async def check_blocks(text: str, *, max_blocks: int, workers: int = 2) -> list[ExtractedBlock]:
    """Every block of `text`, the first `max_blocks` parsed in the shared bounded pool (off the event loop)."""
    if "```" not in text:
        return []  # no fence, no block: most answers, and a pool hand-off costs more than this test
    loop = asyncio.get_running_loop()
    blocks = await loop.run_in_executor(_pool(workers), find_blocks, text, max_blocks)  # guessing costs too
    if not blocks:
        return []
    head = blocks[:max_blocks]
    batches = [head[i : i + _BATCH] for i in range(0, len(head), _BATCH)]
    done = await asyncio.gather(*(loop.run_in_executor(_pool(workers), _check_all, batch) for batch in batches))
    return [block for batch in done for block in batch] + [_unchecked(b) for b in blocks[max_blocks:]]
