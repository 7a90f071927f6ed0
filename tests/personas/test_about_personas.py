"""What a persona of the mesh is, answered from the persona registry by the persona asked (Aviva or Abbey)."""

from __future__ import annotations

import pytest

from personamesh.v1 import persona_pb2
from services.common.persona.about import about_plan, personas_asked_about
from services.common.registry import persona_registry
from tests.personas.conftest import Personas
from tests.personas.support import chat


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("what is aviva?", ["aviva"]),
        ("what can abi do", ["abi"]),
        ("who created abi", ["abi"]),
        ("hey, tell me about abbey", ["abbey"]),
        ("whats the difference between abbey and aviva?", ["abbey", "aviva"]),
        ("what does abi do in persona-mesh?", ["abi"]),
    ],
)
def test_a_question_about_a_persona_names_its_registry_entry(text: str, named: list[str]) -> None:
    assert [entry.name for entry in personas_asked_about(text)] == named


@pytest.mark.parametrize(
    "text", ["what is a tuple", "who is my sister", "abi from work said hi", "what can abi do about my landlord?"]
)
def test_other_questions_and_a_person_of_the_same_name_are_not(text: str) -> None:
    assert personas_asked_about(text) == []


def test_the_answer_is_the_registry_description_and_its_own_source() -> None:
    plan = about_plan(personas_asked_about("what is aviva?"), "aviva", 0.5)
    description = " ".join(persona_registry().entries["aviva"].description.split())
    assert plan.draft.startswith("That's me. " + description)
    assert all(line in plan.notes["sources"] for line in plan.draft.split("\n\n"))  # the fact check's sources


async def test_aviva_says_what_a_persona_is_instead_of_no_passage(personas: Personas) -> None:
    """ "what can abi do" had got "No passage of the documentation I have answers this"."""
    answer = await chat(personas.aviva.target, persona_pb2.PersonaRequest(content="what can abi do"))
    assert answer.content.startswith("Abi is the moderator"), answer.content
    assert "No passage" not in answer.content
    assert answer.confidence >= 0.8  # every sentence is supported by its source, the registry


def test_asked_who_made_a_persona_the_project_is_named_first() -> None:
    plan = about_plan(personas_asked_about("who created abi"), "aviva", 0.5, "who created abi")
    assert plan.draft.startswith("Abi is one of the personas of persona-mesh, an open-source")


@pytest.mark.parametrize(
    ("content", "kind", "starts"),
    [
        ("hi", "greeting", "H"),
        ("thanks!", "thanks", ""),
        ("ok cool", "acknowledgement", "Good"),
        ("how are you?", "how are you", "Fine, thanks"),
        ("bye", "farewell", "Bye"),
        ("who are you?", "capabilities", "I'm Aviva, a direct technical expert"),
        ("are you a bot?", "identity", "I'm an AI assistant, not a person: I'm Aviva"),
    ],
)
async def test_aviva_answers_small_talk_in_kind(personas: Personas, content: str, kind: str, starts: str) -> None:
    """Asked of Aviva ("model": "aviva"), "hi" and "thanks!" had got "this question is outside my documentation"."""
    answer = await chat(personas.aviva.target, persona_pb2.PersonaRequest(content=content))
    assert answer.reasoning_steps[0].description.startswith(f"Small talk ({kind})"), answer.reasoning_steps
    assert answer.content.startswith(starts) and "won't guess" not in answer.content, answer.content
