"""What Aviva's composer leads with, from passages built by hand (no index): the unit below the mesh tests."""

from __future__ import annotations

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.aviva.classifier import QueryClass
from services.aviva.code import detect_request_language, skeleton
from services.aviva.compose import AvivaMaterial, compose_draft
from services.aviva.passage import read
from services.aviva.rerank import Ranked

MKDIR_P = index_pb2.KnowledgeHit(
    source="man/mkdir.1",
    title="man mkdir(1): mkdir - make directories > DESCRIPTION: `-p, --parents`",
    url="man:mkdir(1)#-p",
    text="-p, --parents\n\nno error if existing, make parent directories as needed",
)


def _material(question: str) -> AvivaMaterial:
    language = detect_request_language(question)
    ranked = (Ranked(read(MKDIR_P), score=0.9, confidence=0.9),)
    return AvivaMaterial(
        content=question,
        query=QueryClass("code_request", 0.9, "routing"),
        knowledge=[MKDIR_P],
        code=skeleton(question, language, comments=True),
        sentences=2,
        knowledge_available=True,
        ranked=ranked,
        answer_threshold=0.5,
    )


def test_a_shell_question_a_man_page_answers_gets_the_command_not_a_shell_skeleton() -> None:
    """ "... from the terminal" names the shell (bash): the man page's option is the shell answer."""
    for question in ("make a directory and its parents", "make a directory and its parents from the terminal"):
        draft = compose_draft(_material(question))
        assert draft.startswith("`mkdir -p`"), draft
        assert "skeleton" not in draft


def test_a_question_in_another_language_keeps_its_skeleton() -> None:
    draft = compose_draft(_material("make a directory and its parents in Rust"))
    assert "```rust skeleton" in draft, draft
