"""Aviva's domain gate: fitted under its rule, on data that shares no question with the blind set that judges it."""

from __future__ import annotations

import re

from services.aviva.training.domain import OFF_DOMAIN, TECHNICAL, questions, shared_dev
from services.common.encoder import DIMENSION, SentenceEncoder
from services.common.knowledge.domain import DomainGate
from tests.eval.domain import domain_rows


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def test_no_fitting_question_is_a_blind_question() -> None:
    fitted = {_normal(q) for q in questions(OFF_DOMAIN + TECHNICAL) + shared_dev("TREC") + shared_dev("CoNaLa")}
    assert [row["id"] for row in domain_rows() if _normal(row["question"]) in fitted] == []


def test_the_gate_was_fitted_under_its_rule_and_reads_the_index_vector() -> None:
    gate = DomainGate.load()
    assert len(gate.weights) == DIMENSION
    assert gate.card["out_of_fold"]["technical_gated"] <= 0.01  # the threshold's rule
    assert gate.card["out_of_fold"]["off_domain_gated"] >= 0.85  # the rule it was adopted under


def test_general_questions_are_gated_and_software_ones_are_not() -> None:
    gate = DomainGate.load()
    encoder = SentenceEncoder(threads=1)
    outside = ["How long should I boil an egg for a runny yolk?", "who painted the mona lisa"]
    inside = ["how do I list the files in a git commit", "parse a date string in python"]
    vectors = encoder.encode(outside + inside).vectors
    assert [gate.fires(vector.tolist()) for vector in vectors] == [True, True, False, False]
    assert not gate.fires(None)  # no vector (the index unreachable): nothing is gated
