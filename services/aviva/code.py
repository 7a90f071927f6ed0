"""Aviva's code module: which language, code from the knowledge base, a valid skeleton otherwise.

Only code that passes its language's syntax check is offered from knowledge;
when nothing fits, Aviva gives a small skeleton that parses and says plainly
that it is a skeleton, rather than inventing an implementation.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from services.common import languages, parsers
from services.common.generation.codeblocks import ExtractedBlock, check_syntax, detect_language, extract_code_blocks
from services.common.generation.grounding import content_words, grid_table_rows


def detect_request_language(text: str, pasted: list[ExtractedBlock] | None = None) -> str:
    """The language the question asks for ("... in Rust" first), then Python if named, then the first one named,
    then pasted code (`pasted`: the question's blocks, already checked off the loop); else Python."""
    asked = languages.asked_for(text)
    if asked:
        return asked
    named = languages.mentioned(text)
    if named:
        return "python" if "python" in named else named[0]
    for block in pasted if pasted is not None else extract_code_blocks(text):
        if block.language:
            return block.language
    return "python"


def names_a_language(text: str) -> bool:
    """Whether the question asks for or names a programming language (else Python is only a default)."""
    return bool(languages.asked_for(text) or languages.mentioned(text))


@dataclass(frozen=True)
class CodeAnswer:
    language: str
    code: str
    source_title: str  # "" for a skeleton
    skeleton: bool
    source_text: str = ""  # the passage the code was taken from ("" for a skeleton): its note and citation


def _doctest_or_plain(block: str) -> str:
    lines = block.splitlines()
    if any(line.startswith(">>> ") for line in lines):
        return "\n".join(line[4:] for line in lines if line.startswith((">>> ", "... ")))
    return block


def indented_examples(text: str) -> list[str]:
    """Python examples indented under prose (the pydoc style), doctest prompts removed; grammar skipped."""
    examples: list[str] = []
    block: list[str] = []
    for line in [*text.splitlines(), "end"]:
        if line.startswith("   ") or (block and not line.strip()):
            block.append(line)
            continue
        if block:
            code = _doctest_or_plain(textwrap.dedent("\n".join(block)).strip("\n"))
            if code.strip() and "::=" not in code and check_syntax("python", code) and re.search(r"[(=:\[]", code):
                examples.append(code)
        block = []
    return examples


def table_expressions(question: str, text: str, limit: int = 2) -> list[str]:
    """Operations from reference tables ("s.reverse()" | reverses ...) that match the question, as commented code."""
    wanted = content_words(question)
    scored: list[tuple[int, int, str]] = []
    for order, row in enumerate(grid_table_rows(text)):
        if len(row) < 2:
            continue
        quoted = re.findall(r'"([^"]+)"', row[0])
        if not quoted or not check_syntax("python", quoted[0]):
            continue
        operation_words = set(re.findall(r"[a-z]{3,}", row[0].lower()))
        overlap = 2 * len(wanted & operation_words) + len(wanted & content_words(row[1]))
        if overlap:
            description = row[1].replace('"', "")
            scored.append((overlap, -order, f"{quoted[0]}  # {description}"))
    scored.sort(reverse=True)
    top = scored[0][0] if scored else 0
    return [line for score, _, line in scored[:limit] if score == top]


def code_from_knowledge(question: str, language: str, texts: list[tuple[str, str]]) -> CodeAnswer | None:
    """The best-matching valid code in the knowledge (title, text): fenced blocks, then indented examples, then
    operations from reference tables (Python only). The code itself must share a word with the question: a
    passage's prose alone once made `git log foo bar ^baz` "a bash solution" for listing environment variables."""
    wanted = content_words(question)
    best: tuple[int, int, CodeAnswer] | None = None
    for rank, (title, text) in enumerate(texts):
        context_words = content_words(text)
        candidates: list[tuple[int, str]] = []
        for block in extract_code_blocks(text):
            block_language = block.language or detect_language(block.code)
            if block_language == language and block.valid:
                candidates.append((2, block.code))
        if language == "python":
            candidates.extend((1, example) for example in indented_examples(text))
            lines = table_expressions(question, text)
            if lines:
                candidates.append((0, "\n".join(lines)))
        for preference, code in candidates:
            # The question's words in the code itself count most; the surrounding text only confirms the topic.
            in_code = len(wanted & content_words(code))
            if not in_code:
                continue
            overlap = 3 * in_code + min(2, len(wanted & context_words)) + preference // 2
            key = (overlap, -rank)
            if best is None or key > best[:2]:
                best = (overlap, -rank, CodeAnswer(language, code, title, skeleton=False, source_text=text))
    return best[2] if best is not None and best[0] >= 3 else None


_NOT_NAME_WORDS = frozenset(
    {"code", "write", "function", "implement", "program", "script", "snippet", "please", "show", "example"}
    | languages.name_words()
)
# Languages checked by a real parser in process: a failure is certain, so it is worth reporting.
_CHECKABLE = languages.with_parser()


def _identifier(question: str) -> str:
    """snake_case name from the task's meaningful words, e.g. "reverse_linked_list".

    The question reaches Aviva redacted, so PII is a placeholder word here ("send_email" from
    "send an email to [EMAIL]"), never part of a name.
    """
    words = [
        w
        for w in re.findall(r"[a-z]+", question.lower())
        if len(w) > 2 and w not in _NOT_NAME_WORDS and content_words(w)
    ]
    return "_".join(dict.fromkeys(words[:4])) or "solve"


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def skeleton(question: str, language: str, comments: bool) -> CodeAnswer:
    """A minimal, syntactically valid starting point named after the task."""
    name = _identifier(question)
    task = " ".join(question.split())[:100].replace('"', "'")
    if language == "python":
        lines = [f"def {name}(data):", f'    """{task}"""']
        if comments:
            lines.append("    # Validate the input, do the work, return the result.")
        lines.append(f'    raise NotImplementedError("{name}: fill in the steps for this task")')
        code = "\n".join(lines)
    elif language in ("javascript", "typescript"):
        param = "data: unknown" if language == "typescript" else "data"
        body = f"  // {task}\n" if comments else ""
        code = f'function {_camel(name)}({param}) {{\n{body}  throw new Error("not implemented");\n}}'
    elif language == "go":
        body = f"\t// {task}\n" if comments else ""
        code = f'func {_camel(name)}(data any) error {{\n{body}\treturn errors.New("not implemented")\n}}'
    elif language == "rust":
        body = f"    // {task}\n" if comments else ""
        code = f'fn {name}(data: &str) -> Result<(), String> {{\n{body}    Err("not implemented".into())\n}}'
    elif language == "java":
        body = f"        // {task}\n" if comments else ""
        code = (
            f"public class Solution {{\n    public static void {_camel(name)}(Object data) {{\n{body}"
            '        throw new UnsupportedOperationException("not implemented");\n    }\n}'
        )
    elif language == "bash":
        code = f"#!/usr/bin/env bash\n# {task}\nset -euo pipefail\n"
    elif language == "sql":
        code = f"-- {task}\nSELECT 1;"
    else:
        language = "python"
        return skeleton(question, language, comments)
    return CodeAnswer(language, code, "", skeleton=True)


def pasted_code_findings(blocks: list[ExtractedBlock]) -> list[str]:
    """For debugging questions: what the parsers say about the code the user pasted (`blocks`, checked)."""
    findings: list[str] = []
    for index, block in enumerate(blocks, start=1):
        language = block.language or "unknown"
        if block.valid:
            findings.append(f"Your {language} snippet #{index} is syntactically valid, so the problem is at run time.")
        elif block.check is parsers.CodeCheck.INVALID and language in _CHECKABLE:
            findings.append(f"Your {language} snippet #{index} does not parse: {_syntax_detail(language, block.code)}")
    return findings


def _syntax_detail(language: str, code: str) -> str:
    if language == "python":
        try:
            compile(code, "<snippet>", "exec", dont_inherit=True)
        except SyntaxError as error:
            return f"line {error.lineno}: {error.msg}."
    where = parsers.error_location(language, code)
    if where is None:
        return "the block looks cut off; check that it is complete."
    return f"line {where[0]}, column {where[1]}: the parser found a syntax error there."
