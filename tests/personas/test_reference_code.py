"""Code and facts Aviva takes from Python's own reference text (pydoc topics, as the default knowledge seed)."""

from __future__ import annotations

import ast
from pydoc_data.topics import topics

from services.aviva.code import code_from_knowledge, indented_examples, table_expressions
from services.common.generation.grounding import best_sentences, grid_table_rows


def test_grid_table_rows_join_multi_line_cells() -> None:
    rows = grid_table_rows(topics["typesseq-mutable"])
    assert ['"s.reverse()"', "reverses the items of s in place", "(4)"] in rows
    assert all("===" not in cell for row in rows for cell in row)


def test_table_operations_become_commented_code() -> None:
    text = topics["typesseq-mutable"]
    assert table_expressions("How do I reverse a list in Python?", text) == [
        "s.reverse()  # reverses the items of s in place"
    ]
    assert table_expressions("append to a list", text)[0].startswith("s.append(x)  # appends x")
    answer = code_from_knowledge("How do I append an item to a list?", "python", [("Mutable Sequence Types", text)])
    assert answer is not None and not answer.skeleton
    ast.parse(answer.code)


def test_indented_examples_parse_and_skip_grammar() -> None:
    examples = indented_examples(topics["for"])
    assert examples and examples[0].startswith("for i in range(10):")
    assert all("::=" not in example for example in examples)
    for example in examples:
        ast.parse(example)


def test_table_rows_are_usable_as_sentences() -> None:
    sentences = best_sentences("What does s.reverse() do to a list?", [topics["typesseq-mutable"]], 1)
    assert sentences == ['"s.reverse()": reverses the items of s in place.']


def test_a_sentence_about_the_manual_is_never_the_answer() -> None:
    """ "what does chmod 755 mean" had got the one sentence "This manual page documents the GNU version of chmod."."""
    description = (
        "This manual page documents the GNU version of chmod. chmod changes the file mode bits of each given file "
        "according to mode. The numeric mode is from one to four octal digits (0-7), derived by adding up the bits."
    )
    picked = best_sentences("what does chmod 755 mean", [description], 1)
    assert not any(sentence.startswith("This manual page") for sentence in picked), picked
    assert best_sentences("what does the chmod numeric mode mean", [description], 1) == [
        "The numeric mode is from one to four octal digits (0-7), derived by adding up the bits."
    ]


def test_a_man_pages_sentence_may_open_with_its_commands_name() -> None:
    """mdoc pages write "scp copies files between hosts on a network.": refused as a fragment, such pages gave answers
    without a sentence; a fragment cut mid-sentence ("and then copies ...") stays refused."""
    description = "scp copies files between hosts on a network. and then copies them back over the same link."
    assert best_sentences("how do I copy files to another host", [description], 1) == []
    assert best_sentences("how do I copy files to another host", [description], 1, commands=frozenset({"scp"})) == [
        "scp copies files between hosts on a network."
    ]
