"""Man pages are cut into one passage per option entry, whichever way man laid the entry out."""

from __future__ import annotations

import re

from services.embeddings.corpus import manpages

# The shape man-db renders: a head line with its description indented deeper, and (mdoc pages, or .TP
# tags that fit their indent) an option and its description on one line after two or more spaces.
RENDERED = """\
TOOL(1)                 General Commands Manual                 TOOL(1)

NAME
     tool - does things

DESCRIPTION
     The options are as follows:

     -S ctl_path
             Specifies the location of a control socket.

     -s      May be used to request invocation of a subsystem.

     -v      Verbose mode.  Causes tool to print debugging messages.

     -F value       sets the field separator to value.

     -empty File is empty and is either a regular file or a directory.

     --author Author Name <Author Email>
             The author to record.

HISTORY
     Feature                Added in   Also occurs in
     -delete                4.2.3
"""


def passages(markdown: str) -> dict[str, str]:
    """Heading label -> passage text."""
    out = {}
    for block in markdown.split("\n\n## "):
        head, _, text = block.removeprefix("## ").partition("\n\n")
        label = re.sub(r"\s*\{#[^}]*\}$", "", head)
        out[label] = text
    return out


def test_an_option_on_one_line_is_its_own_passage_and_not_the_previous_entrys_text() -> None:
    _, markdown = manpages.page_markdown("tool", RENDERED)
    found = passages(markdown)
    assert found["DESCRIPTION: `-S ctl_path`"] == "Specifies the location of a control socket."
    assert found["DESCRIPTION: `-s`"] == "May be used to request invocation of a subsystem."
    assert found["DESCRIPTION: `-v`"].startswith("Verbose mode.  Causes tool to print debugging messages.")
    assert found["DESCRIPTION: `-F value`"] == "sets the field separator to value."
    assert found["DESCRIPTION: `-empty`"] == "File is empty and is either a regular file or a directory."
    assert found["DESCRIPTION: `--author Author Name <Author Email>`"] == "The author to record."
    assert "#-v}" in markdown  # the citation anchor of the entry


def test_a_table_of_options_and_versions_is_not_read_as_entries() -> None:
    _, markdown = manpages.page_markdown("tool", RENDERED)
    assert not any(label.startswith("HISTORY: ") for label in passages(markdown))


def test_the_installed_ssh_page_answers_verbose_mode_under_its_own_flag() -> None:
    _, markdown = manpages.page_markdown("ssh", manpages.render("ssh", "1"))
    found = passages(markdown)
    assert "Verbose mode" in found["DESCRIPTION: `-v`"]
    assert "Verbose mode" not in found["DESCRIPTION: `-S ctl_path`"]


def test_a_sentence_that_opens_with_the_commands_name_is_prose_not_a_command() -> None:
    """mdoc pages open their sentences with the command's name in lower case: ssh-keygen's DESCRIPTION had become
    bash blocks, and "how do I generate an ssh key" was answered with a sentence in backticks as the command."""
    page = (
        "SSH-KEYGEN(1)          General Commands Manual          SSH-KEYGEN(1)\n\n"
        "NAME\n     ssh-keygen - OpenSSH authentication key utility\n\n"
        "DESCRIPTION\n"
        "     ssh-keygen generates, manages and converts authentication keys for ssh(1).  ssh-keygen can create keys "
        "for use by SSH protocol version 2.\n\n"
        "     The type of key to be generated is specified with the -t option.\n\n"
        "EXAMPLES\n"
        "     Generate a key of your own:\n\n"
        '           ssh-keygen -t ed25519 -C "me@example.com"\n'
    )
    _, markdown = manpages.page_markdown("ssh-keygen", page)
    by_label = passages(markdown)
    assert "```" not in by_label["DESCRIPTION"] and "ssh-keygen generates, manages" in by_label["DESCRIPTION"]
    assert '```bash\nssh-keygen -t ed25519 -C "me@example.com"\n```' in markdown


def test_commands_that_end_in_a_dot_stay_commands() -> None:
    for line in (
        "find . -name '*.py' -newer setup.py -print0 .",
        "cp -r src/ .",
        "tar -xf archive.tar -C /srv/target",
        "git reset --soft HEAD^",
        "git commit -m 'fix the build for the release'.",
    ):
        assert not manpages._is_prose(line), line
    assert manpages._is_prose("Extract the archive into the current directory.")
    assert manpages._is_prose("scp copies files between hosts on a network.")
    # In EXAMPLES a block's comment or a command's output stays in its block.
    assert not manpages._is_prose("file foobar not up to date, cannot merge.", in_examples=True)
