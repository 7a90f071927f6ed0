"""Aviva's rerankers never learn from the docs QA test split (tests/docs_qa): it is the figure we report."""

from __future__ import annotations

import json

from services.aviva.training import fit
from services.common.generation.grounding import content_words


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _qa_rows(split: str) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in fit.QA_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row["split"] == split]


def test_fitting_reads_the_dev_split_and_never_the_test_split() -> None:
    questions = fit.questions()
    test_ids = {row["id"] for row in _qa_rows("test")}
    assert {q.split for q in questions} == {"train", "dev", "off"}
    assert not test_ids & {q.id for q in questions}
    assert sum(q.split == "dev" for q in questions) == len(_qa_rows("dev"))


def test_no_training_question_repeats_or_paraphrases_a_test_question() -> None:
    """Dropped when written: the same text, or half or more of the content words shared (the helper's
    natural "tar extract to dir" questions and the QA set's overlap that much)."""
    test = [(_normalise(row["question"]), content_words(row["question"])) for row in _qa_rows("test")]
    for question in fit.questions():
        if question.split == "dev":
            continue
        words = content_words(question.text)
        for text, test_words in test:
            assert _normalise(question.text) != text, question.id
            overlap = len(words & test_words) / max(1, len(words | test_words))
            assert overlap < 0.5, question.id
