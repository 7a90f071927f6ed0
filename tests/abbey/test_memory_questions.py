"""Which messages ask Abbey what the person told her (answered from memory), and which only sound like it."""

from __future__ import annotations

import pytest

from services.abbey.facts import MemoryQuestion, memory_question


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("What's my dog's name?", "dog"),
        ("where do I live?", "home"),
        ("what do I do for a living?", "job"),
        ("do you remember my job?", "job"),
        ("what's my job again?", "job"),
    ],
)
def test_a_question_about_what_was_told_is_answered_from_memory(text: str, subject: str) -> None:
    asked = memory_question(text)
    assert isinstance(asked, MemoryQuestion) and asked.subject == subject


@pytest.mark.parametrize(
    "text",
    [
        # advice asked for, not a job remembered (an RA's message got "I don't think you've told me about that yet")
        "I'm an RA. One of my residents asked whether the ninth-floor windows open all the way. He's failing and "
        "really isolated. What do I do?",
        "my toddler just drank some of the dishwasher liquid what do i do",
        "my job is killing me, what's the best way to relax?",
    ],
)
def test_advice_and_a_job_as_topic_are_not_memory_questions(text: str) -> None:
    assert memory_question(text) is None
