"""Small talk is answered in kind: the whole message a greeting, a farewell, "how are you?", "what can you do?"."""

from __future__ import annotations

import pytest

from services.common.persona.small_talk import reply, small_talk_kind
from services.common.text import split_sentences


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hello Abbey!", "greeting"),
        ("good morning", "greeting"),
        ("how are you?", "how_are_you"),
        ("hey, how's it going", "how_are_you"),
        ("bye for now", "farewell"),
        ("see you tomorrow", "farewell"),
        ("good night abbey", "farewell"),
        ("what can you do?", "capabilities"),
        ("hello, who are you and what can you do?", "capabilities"),
        ("hi! what are you?", "capabilities"),
        ("what are you able to help with?", "capabilities"),
        ("hi, who are you? my dog died this morning", ""),
        ("are you a bot?", "identity"),
        ("am I talking to a real person?", "identity"),
        ("ok", "acknowledgement"),
        ("sounds good!", "acknowledgement"),
        ("what's your name?", "identity"),
        ("who made you", "identity"),
        ("lol", "laughter"),
        ("hahaha!", "laughter"),
        ("😂😂", "laughter"),
        ("lol my boss just quit", ""),
        ("nah I'm good", "declining"),
        ("no thanks!", "declining"),
        ("that's all for now", "declining"),
        ("no", ""),  # it can answer a safety question
        ("no I don't want to be here anymore", ""),
        # Anything more than small talk is not small talk; a bare "goodbye" is left to the crisis signal.
        ("hi, my dog died this morning", ""),
        ("ok so my boss is a nightmare", ""),
        ("goodbye", ""),
        ("goodbye everyone, thank you for everything", ""),
        ("take care of yourself ok", ""),
        ("good night forever", ""),
    ],
)
def test_small_talk_is_the_whole_message(text: str, kind: str) -> None:
    assert small_talk_kind(text) == kind


def test_replies_fit_the_kind_and_change_within_a_session() -> None:
    assert reply("farewell", "good night abbey", set(), "abbey").startswith("Good night")
    assert reply("greeting", "good morning", set(), "abbey").startswith("Good morning")
    first = reply("greeting", "hi", set(), "abbey")
    assert reply("greeting", "hi", {first}, "abbey") != first
    capabilities = reply("capabilities", "what can you do?", set(), "abbey")
    assert "Aviva, a direct technical expert" in capabilities  # from the persona registry, not a copy
    assert "Abi" not in capabilities.replace("Abbey", "")  # the moderator does not answer


def test_a_reply_of_two_sentences_is_not_said_twice_in_a_session() -> None:
    """The session remembers what was said sentence by sentence; a reply of two sentences had been compared whole,
    so "All right. I'm here whenever you want to talk." came back every time."""
    first = reply("declining", "nah I'm good", set(), "abbey")
    said = {sentence for sentence in split_sentences(first)}
    assert reply("declining", "nah I'm good", said, "abbey") != first


@pytest.mark.parametrize(
    "text",
    [
        "what's your favourite movie?",
        "whats ur fav song",
        "do you have a favorite book?",
        "what do you like to do for fun?",
        "do you have any hobbies",
    ],
)
def test_her_own_favourites_are_small_talk_answered_honestly(text: str) -> None:
    """ "what's your favourite movie?" had got "I can't put that together for you right now": it is small talk; she
    has no favourites of her own and asks for theirs."""
    assert small_talk_kind(text) == "favourites"
    answer = reply("favourites", text, set(), "abbey")
    assert "AI" in answer and answer.rstrip().endswith("?"), answer
    assert small_talk_kind("what's your favourite way to cook salmon for a dinner party of eight people?") == ""


def test_thanks_after_a_word_of_acknowledgement_is_gratitude_not_news_to_savour() -> None:
    """ "cool thanks" had got "Enjoy it; moments like this are worth savouring." """
    from services.abbey.empathy import is_gratitude

    assert is_gratitude("cool thanks") and is_gratitude("ok, thank you!") and is_gratitude("thanks a lot")
    assert not is_gratitude("cool, my sister got the job")
