"""The parsers against a corpus of valid and deliberately broken snippets per language (tests/personas/code_corpus).

Each `<language>.txt` holds hand-written snippets after `=== valid` or `=== broken` lines; every valid snippet
also yields a broken twin with its last closing bracket removed (an unclosed bracket is an error in every
language below; bash and YAML are left out of that, a brace there may sit inside a string or be plain text).
`valid` must have precision and recall of at least 99% over the whole corpus.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common import languages
from services.common.parsers import CodeCheck, check

CORPUS = Path(__file__).with_name("code_corpus")
_NO_BRACKET_TWIN = frozenset({"bash", "yaml"})


def _snippets(path: Path) -> list[tuple[str, bool]]:
    """(code, truly valid) pairs of one language file."""
    snippets: list[tuple[str, bool]] = []
    label, lines = None, []  # type: tuple[str | None, list[str]]
    for line in [*path.read_text(encoding="utf-8").splitlines(), "=== end"]:
        if line.startswith("=== "):
            if label is not None:
                snippets.append(("\n".join(lines).strip("\n") + "\n", label == "valid"))
            label, lines = line[4:].strip(), []
        else:
            lines.append(line)
    return snippets


def _without_last_bracket(code: str) -> str | None:
    index = max(code.rfind(ch) for ch in ")]}")
    return None if index < 0 else code[:index] + code[index + 1 :]


def corpus() -> list[tuple[str, str, bool]]:
    """(language, code, truly valid) for every snippet and its broken twin."""
    rows: list[tuple[str, str, bool]] = []
    for path in sorted(CORPUS.glob("*.txt")):
        language = path.stem
        for code, valid in _snippets(path):
            rows.append((language, code, valid))
            twin = _without_last_bracket(code) if valid and language not in _NO_BRACKET_TWIN else None
            if twin is not None:
                rows.append((language, twin, False))
    return rows


def test_corpus_covers_every_main_language_with_both_kinds() -> None:
    rows = corpus()
    covered = {language for language, _, _ in rows}
    assert covered >= {"python", "javascript", "typescript", "go", "rust", "java", "bash", "sql", "json", "yaml"}
    assert covered <= languages.with_parser()
    for language in covered:
        kinds = {valid for lang, _, valid in rows if lang == language}
        assert kinds == {True, False}, language


def test_valid_has_precision_and_recall_of_99_percent() -> None:
    rows = corpus()
    said_valid = [(language, code, truth) for language, code, truth in rows if check(language, code) is CodeCheck.VALID]
    true_positives = sum(1 for _, _, truth in said_valid if truth)
    truly_valid = sum(1 for _, _, truth in rows if truth)
    precision = true_positives / len(said_valid)
    recall = true_positives / truly_valid
    wrong = [
        (language, "valid" if truth else "broken", code)
        for language, code, truth in rows
        if (check(language, code) is CodeCheck.VALID) != truth
    ]
    print(f"parser corpus: {len(rows)} snippets, precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.99 and recall >= 0.99, wrong


@pytest.mark.parametrize("language", ["cobol", "kotlin", "swift", ""])
def test_languages_without_a_parser_are_unchecked_never_valid(language: str) -> None:
    assert check(language, "anything at all") is CodeCheck.UNCHECKED
