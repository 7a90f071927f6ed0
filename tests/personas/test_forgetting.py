"""A request to forget is answered with what is kept and how it is erased (services/common/persona/forgetting.py).

The messages are written for these tests (none comes from an evaluation set)."""

from __future__ import annotations

import asyncio

import pytest

from personamesh.v1 import persona_pb2
from services.abbey.memory import told_in_conversation
from services.common.persona.forgetting import KEPT_AND_ERASED, NOTHING_KEPT, asks_to_forget
from services.common.personal import fact_to_forget, is_personal
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


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("forget my dog's name", "dog"),
        ("please forget where I live", "home"),
        ("can you forget what I told you about my sister?", "sister"),
        ("forget that I'm allergic to peanuts", "allergy"),
        ("delete my cat's name pls", "cat"),
    ],
)
def test_a_request_to_forget_one_thing_names_it(text: str, subject: str) -> None:
    asked = fact_to_forget(text)
    assert asked is not None and asked.subject == subject and is_personal(asked)


@pytest.mark.parametrize(
    "text",
    [
        "I want to forget my ex",
        "forget it, how do I rename a branch",
        "how do I forget a wifi network",
        "delete my account",
    ],
)
def test_a_wish_a_task_or_an_account_is_not_one_thing_to_forget(text: str) -> None:
    asked = fact_to_forget(text)
    assert asked is None or not is_personal(asked)


async def _told(target: str, request: persona_pb2.PersonaRequest, expected: str) -> str:
    """Abbey's answer to `request` once it says `expected` (facts are written after the answer that heard them)."""
    answer = ""
    for _ in range(20):
        answer = (await chat(target, request)).content
        if expected in answer:
            break
        await asyncio.sleep(0.25)
    return answer


async def test_one_fact_is_forgotten_when_asked_and_the_others_stay(personas: Personas) -> None:
    """ "forget my dog's name" had been said back ("Would it help to talk about your dog's name a bit more"); now the
    facts about the dog go from Abbey's memory, in this session and the next, and the sister's stay."""
    user = "forget-one-thing"
    abbey = personas.abbey.target

    def say(text: str, session: str) -> persona_pb2.PersonaRequest:
        return persona_pb2.PersonaRequest(content=text, user_id=user, session_id=f"{user}-{session}")

    await chat(abbey, say("My dog is called Biscuit. My sister Ana lives in Porto.", "1"))
    assert "Biscuit" in await _told(abbey, say("What's my dog's name?", "2"), "Biscuit")
    forgotten = (await chat(abbey, say("please forget my dog's name", "2"))).content
    assert forgotten.startswith("Done: I've forgotten that your dog is called Biscuit"), forgotten
    later = (await chat(abbey, say("What's my dog's name?", "3"))).content
    assert "Biscuit" not in later, later
    assert "Ana" in await _told(abbey, say("What's my sister's name?", "3"), "Ana")
    again = (await chat(abbey, say("forget my dog's name", "3"))).content
    assert again == "I don't keep anything about your dog, so there's nothing to forget.", again
    nobody = persona_pb2.PersonaRequest(content="forget my dog's name")
    assert (await chat(abbey, nobody)).content == NOTHING_KEPT


def test_a_fact_told_before_a_request_to_forget_it_is_not_recalled_from_the_conversation() -> None:
    turns = [
        persona_pb2.Turn(
            role=persona_pb2.ROLE_USER, content="My cat is called Miso. My brother Tom came round yesterday."
        ),
        persona_pb2.Turn(role=persona_pb2.ROLE_USER, content="forget my cat's name please"),
    ]
    told = told_in_conversation(persona_pb2.PersonaRequest(content="what's my cat called?", recent_turns=turns))
    assert [r.fact.key for r in told] == ["brother"]
    # A sentence that names the forgotten name goes with it, whatever else it told.
    both = [persona_pb2.Turn(role=persona_pb2.ROLE_USER, content="my cat Miso and my brother Tom came round"), turns[1]]
    assert told_in_conversation(persona_pb2.PersonaRequest(content="hi", recent_turns=both)) == []
