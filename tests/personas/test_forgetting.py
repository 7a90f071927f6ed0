"""A request to forget is answered with what is kept and how it is erased (services/common/persona/forgetting.py).

The messages are written for these tests (none comes from an evaluation set)."""

from __future__ import annotations

import pytest

from personamesh.v1 import persona_pb2
from services.common.persona.forgetting import KEPT_AND_ERASED, NOTHING_KEPT, asks_to_forget
from tests.personas.conftest import Personas
from tests.personas.support import chat


@pytest.mark.parametrize(
    "text",
    [
        "please delete my data",
        "forget what I told you",
        "can you forget everything you know about me?",
        "erase my chat history please",
        "delete all my personal information",
        "forget me",
    ],
)
def test_a_request_to_forget_the_writer_is_one(text: str) -> None:
    assert asks_to_forget(text)


@pytest.mark.parametrize(
    "text",
    [
        "how do I delete my data folder",
        "delete everything in /tmp",
        "forget it, how do I rename a branch",
        "I want to forget my ex",
        "how do I clear my bash history",
        "remove the last commit",
    ],
)
def test_a_task_or_a_wish_is_not_a_request_to_forget(text: str) -> None:
    assert not asks_to_forget(text)


async def test_both_personas_say_how_erasure_works_instead_of_a_manual_page(personas: Personas) -> None:
    """ "please delete my data" had got `tr -d`'s manual, "forget what I told you" was said back as news."""
    named = persona_pb2.PersonaRequest(content="please delete my data", user_id="forget-me")
    for target in (personas.aviva.target, personas.abbey.target):
        assert (await chat(target, named)).content == KEPT_AND_ERASED
    nobody = persona_pb2.PersonaRequest(content="forget what I told you")
    assert (await chat(personas.abbey.target, nobody)).content == NOTHING_KEPT
