"""Which language a request asks its code in (`languages.named_for_code`), as against one it only mentions."""

from __future__ import annotations

import pytest

from services.common.languages import named_for_code


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Write a Go function that undoes the last git commit", "go"),
        ("How do I debounce a function in JavaScript?", "javascript"),
        ("Write a SQL query that counts orders per customer", "sql"),
        ("write a bash script to back up my home dir", "bash"),
        ("run a shell command from python", "python"),
        # Named as a topic or as the place a command runs: no language asked for.
        ("sqlite3 safe way to pass values into a query (avoid sql injection)", ""),
        ("I get a relative path from the command line and need the full absolute path", ""),
        ("count lines in a file from the terminal", ""),
        ("read a csv file", ""),
        # Named to compare with: the call that does the same, in the documentation's language.
        ("fold a list into a single value like reduce in js", ""),
        ("what's the equivalent of python's map in javascript", "javascript"),
        ("write it like this in Go", "go"),
        # Named as the question's label, as chat and forum titles do ("javascript: ..." had got a Python passage and
        # "bash: ..." `pathlib.Path.exists()`); a label that is no language names nothing.
        ("javascript: how to remove duplicates from an array", "javascript"),
        ("bash: check if a file exists", "bash"),
        ("[rust] reverse a string", "rust"),
        ("python: how to merge two dicts", "python"),
        ("Note: in my script the loop hangs", ""),
        ("c:\\users is full, what can I delete?", ""),
    ],
)
def test_the_language_asked_for_not_the_one_mentioned(question: str, language: str) -> None:
    assert named_for_code(question) == language
