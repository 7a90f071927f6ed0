"""With nothing of her own to say (no feeling to answer, no memory, no documentation), Abbey tells a clear request
plainly that she cannot write it, rather than asking the person to say more about what they already said."""

from __future__ import annotations

import pytest

from services.abbey.compose import CANNOT_WRITE, LISTENING, SAY_MORE, nothing_to_compose


@pytest.mark.parametrize(
    "text",
    [
        "Suggest a name for our new sourdough starter.",
        "Could you write a limerick about my cat knocking things off the table?",
        "Draft a short toast for my parents' 40th anniversary.",
        "what should I pack for a weekend of camping in october",
        "Any ideas for a rainy-day activity with toddlers?",
    ],
)
def test_a_request_is_told_it_cannot_be_written(text: str) -> None:
    assert nothing_to_compose(text) == CANNOT_WRITE


@pytest.mark.parametrize("text", ["My cousin is visiting next week.", "so that happened", "The train was late again."])
def test_a_message_that_asks_nothing_is_invited_to_say_more(text: str) -> None:
    assert nothing_to_compose(text) == SAY_MORE


@pytest.mark.parametrize("text", ["he's very shy", "maybe she's right"])
def test_a_follow_up_that_asks_nothing_is_listened_to_not_offered_help(text: str) -> None:
    """ "he's very shy" after "we adopted a rescue dog yesterday" had got "Tell me a bit more about what you have in
    mind, and I'll help however I can."; a question is still told plainly what cannot be written."""
    assert nothing_to_compose(text, follow_up=True) == LISTENING
    assert nothing_to_compose("can you write me a poem about him?", follow_up=True) == CANNOT_WRITE
