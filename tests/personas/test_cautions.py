"""A command that destroys data comes with a caution: the table's entries, and what Aviva's composer says with one."""

from __future__ import annotations

import pytest

from services.aviva.compose import compose_draft, own_sentences
from services.common.generation.cautions import Caution, caution_for, caution_sentences, cautions
from tests.personas.support import answered_from
from tests.personas.test_aviva_compose import _hit


@pytest.mark.parametrize("entry", cautions(), ids=lambda entry: entry.name)
def test_each_caution_names_its_own_example_and_not_a_lookalike(entry: Caution) -> None:
    assert caution_for(entry.example).startswith(f"Careful: `{entry.name}`")
    assert caution_for(entry.lookalike) == ""


def test_harmless_commands_and_calls_carry_no_caution() -> None:
    for shown in ("git status", "ls -la", "tar -C /tmp -xzf a.tgz", "os.path.exists(path)", "grep -r TODO ."):
        assert caution_for(shown) == ""


RESET_HARD = _hit(
    "man:git-reset(1)#examples-undo-commits-permanently",
    "man git-reset(1): git-reset - Reset current HEAD to the specified state > EXAMPLES: Undo commits permanently",
    "```bash\ngit commit ...\ngit reset --hard HEAD~3\n```\n\n1. The last three commits (HEAD, HEAD^, and HEAD~2) were "
    "bad and you do not want to ever see them again.",
)


def test_an_answer_that_shows_a_destructive_command_says_it_cannot_be_undone() -> None:
    """ "what does git rebase -i HEAD~3 do" had got `git reset --hard HEAD~3` and its example, bare."""
    question = "how do I get rid of my last three commits"
    material = answered_from(question, RESET_HARD, "code_request")
    draft = compose_draft(material)
    assert "git reset --hard HEAD~3" in draft, draft
    assert "Careful: `git reset --hard` throws away every uncommitted change" in draft, draft
    assert draft.index("Careful") < draft.index("Source:")


def test_a_caution_is_the_personas_own_word_not_a_claim_for_the_fact_checker() -> None:
    """The fact check had listed the caution as an unverified claim and lowered the answer's confidence."""
    assert caution_sentences() <= own_sentences()
