"""A long message is searched by its ask: the question, the sentence before it and the code it mentions."""

from __future__ import annotations

from services.common.generation.focus import MAX_PLAIN_WORDS, focus_query, word_count

STORY = (
    "We moved the whole team to a new office last month and the wifi is still flaky, which nobody can explain. "
    "On top of that our CI box ran out of disk twice this week and I had to babysit it on Saturday. "
)


def test_a_short_question_is_searched_as_it_was_written() -> None:
    question = "how do I undo the last commit but keep the changes?"
    assert word_count(question) <= MAX_PLAIN_WORDS
    assert focus_query(question) == question


def test_the_story_before_a_question_is_left_out_and_the_question_kept() -> None:
    message = STORY + "Anyway, the logs folder keeps growing. Which command shows how much space each folder uses?"
    focused = focus_query(message)
    assert "Which command shows how much space each folder uses?" in focused
    assert "Anyway, the logs folder keeps growing." in focused  # the sentence before the ask says what "it" is
    for story_word in ("wifi", "office", "Saturday"):
        assert story_word not in focused


def test_code_from_the_story_travels_with_the_ask() -> None:
    message = (
        STORY + "My export calls json.dumps(record) and dies with TypeError on the 'created_at' field. I ran git "
        "commit -m before that, if it matters. The dates should come out as text. How do I do that?"
    )
    focused = focus_query(message)
    assert focused.startswith("The dates should come out as text. How do I do that?")
    for code in ("json.dumps", "TypeError", "'created_at'", "git commit -m"):
        assert code in focused
    assert "wifi" not in focused


def test_an_instruction_counts_as_the_ask() -> None:
    message = STORY + "The nightly job writes a report into a file with the date in its name. Give me the one-liner "
    message += "that prints today's date as YYYY-MM-DD in the shell."
    assert focus_query(message).endswith("Give me the one-liner that prints today's date as YYYY-MM-DD in the shell.")
    assert "babysit" not in focus_query(message)
