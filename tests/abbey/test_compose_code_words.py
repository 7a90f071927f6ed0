"""Abbey offers a documentation code example when the question asks for code, named by a word or a language."""

from __future__ import annotations

import pytest

from services.abbey.compose import _asks_for_code


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("can you show me a snippet for reading a file", True),
        ("what's the command to list hidden files", True),
        ("an example, please", True),
        ("how do I sort a list in Rust", True),
        ("my partner and I have a codependent relationship", False),
        ("I feel like a commander with no army", False),
        ("my dog is sick and I'm scared", False),
    ],
)
def test_code_is_asked_for_by_a_whole_code_word_or_a_language(text: str, asks: bool) -> None:
    assert _asks_for_code(text) is asks
