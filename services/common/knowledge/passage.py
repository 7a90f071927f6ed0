"""What one retrieved documentation passage offers an answer: its lead (call, option or command), a minimal
example taken from it, and where it comes from.

Passages come from the documentation corpus (services/embeddings/corpus): a Python definition's title ends
in its backticked signature, a man page option's in its backticked option line, an example's code is fenced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.common.generation.codeblocks import check_syntax
from services.common.generation.grounding import best_sentences, content_words

_FENCED = re.compile(r"```(\w*)[^\n]*\n(.*?)```", re.DOTALL)
_BACKTICKED = re.compile(r"`([^`]+)`")
_MAN_SOURCE = re.compile(r"^man/([\w.+-]+)\.(\d)$")
# A shell prompt some man pages write before an example's command: `$ `, `% `, `user@newclient$ ` (ssh-copy-id(1)).
_PROMPT = re.compile(r"^(?:[\w.-]+@[\w.-]+)?[$%] +")
# Man page sections whose pages document commands (user commands, administration); 5 is files, 7 concepts.
_COMMAND_SECTIONS = frozenset({"1", "8"})


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, read for answering."""

    hit: index_pb2.KnowledgeHit
    lead: str  # the call signature, option line or first command; "" if the passage has none
    examples: tuple[tuple[str, str], ...]  # (language, code) blocks in the passage, in order
    page: str  # "tar" for man:tar(1), "datetime" for library/datetime.html, "" otherwise
    man: bool
    python: bool
    heading: str  # the passage's own heading (the last part of the title)
    command_lines: tuple[str, ...] = ()  # a man page example's lines that run the page's command
    section: str = ""  # a man page's section: "1" for tar(1), "5" for gitignore(5)

    @property
    def tool(self) -> str:
        """The command a man page documents: "git" for git-reset(1), "tar" for tar(1)."""
        return self.page.split("-")[0] if self.man else ""

    @property
    def command(self) -> str:
        """The command a man page documents as typed: "git reset" for git-reset(1), "tar" for tar(1); "" for a
        page of another section (gitignore(5) documents a file, gitworkflows(7) a practice: nothing to run)."""
        if not self.man or self.section not in _COMMAND_SECTIONS:
            return ""
        return self.page.replace("-", " ", 1) if self.page.startswith("git-") else self.page

    @property
    def lead_line(self) -> str:
        """The lead as an answer opens with it: an option shown with its command (`tar -C` (`-C, --directory=DIR`))."""
        if self.man and self.command and self.lead.startswith("-"):
            option = re.split(r"[ ,=\[]", self.lead, maxsplit=1)[0]
            return f"`{self.command} {option}` (`{self.lead}`)"
        if self.man and not self.lead:
            # A subcommand entry ("COMMANDS: add" of git-remote(1)) or a section: the command as typed.
            if not self.command:
                return ""
            label = self.heading.split(": ", 1)[1] if ": " in self.heading else ""
            word = label.split()[0] if label and re.fullmatch(r"[a-z][a-z-]*", label.split()[0]) else ""
            return f"`{self.command} {word}`" if word else f"`{self.command}`"
        return f"`{self.lead}`" if self.lead else ""

    def lead_for(self, question: str) -> str:
        """The lead line for this question: of a man page example's command lines, the one sharing the most
        words with the question ("add a second remote" -> `git remote add ...`, not the synopsis' first line)."""
        if len(self.command_lines) < 2:
            return self.lead_line
        wanted = content_words(question)
        best = max(self.command_lines, key=lambda line: len(wanted & content_words(line.replace("-", " "))))
        return f"`{best}`"

    @property
    def commands(self) -> frozenset[str]:
        """The names a man page's sentences may open with: its page and its tool ("scp copies files ...", "git rm
        normally outputs ..."); none for other passages."""
        return frozenset({self.page, self.tool}) if self.man and self.page else frozenset()

    @property
    def citation(self) -> str:
        return f"{self.hit.title} <{self.hit.url}>" if self.hit.url else self.hit.title


def read(hit: index_pb2.KnowledgeHit) -> Passage:
    """The parts of a hit an answer can lead with."""
    man_source = _MAN_SOURCE.match(hit.source)
    heading = hit.title.split(" > ")[-1]
    backticked = _BACKTICKED.findall(heading)
    examples = tuple(
        (language or ("bash" if man_source else "python"), code.strip("\n"))
        for language, code in _FENCED.findall(hit.text)
        if code.strip()
    )
    lead = backticked[-1].strip() if backticked else ""
    page = ""
    if man_source:
        page = man_source.group(1)
    command_lines: tuple[str, ...] = ()
    if not lead and examples and man_source:
        lines = [line for _, code in examples for line in code.splitlines() if line.strip()]
        lead = _command_line(page, lines)
        command_lines = tuple(_own_lines(page, lines))
    elif hit.url.startswith("https://docs.python.org/"):
        page = hit.url.rsplit("/", 1)[-1].split(".html")[0]
    return Passage(
        hit=hit,
        lead=lead,
        examples=examples,
        page=page,
        man=bool(man_source),
        python=hit.url.startswith("https://docs.python.org/"),
        heading=heading,
        command_lines=command_lines,
        section=man_source.group(2) if man_source else "",
    )


def _own_lines(page: str, lines: list[str]) -> list[str]:
    """The example lines that run the page's own command, without a prompt written before it."""
    command = page.replace("-", " ", 1) if page.startswith("git-") else page
    commands = (_PROMPT.sub("", line.strip(), count=1) for line in lines)
    return [line for line in commands if line.startswith(command)]


def _command_line(page: str, lines: list[str]) -> str:
    """The example line that runs the page's own command ("git reset --soft HEAD^" on git-reset(1))."""
    return (_own_lines(page, lines) or [lines[0].strip()])[0]


def cut_example(language: str, code: str, max_lines: int = 6) -> tuple[str, str]:
    """A code sample cut to its first `max_lines` lines (at a blank line when it can)."""
    lines = code.splitlines()
    if len(lines) > max_lines:
        blank = next((i for i in range(2, max_lines + 1) if i < len(lines) and not lines[i].strip()), max_lines)
        lines = lines[:blank]
    return language, "\n".join(lines).rstrip()


def parsing_examples(passage: Passage) -> tuple[tuple[int, tuple[str, str]], ...]:
    """The passage's code samples cut short as an answer shows them, those that parse, with where each starts in
    the passage's text (whitespace folded)."""
    return _parsing_examples_of(passage.hit.text, passage.examples)


@lru_cache(maxsize=1024)
def _parsing_examples_of(
    passage_text: str, examples: tuple[tuple[str, str], ...]
) -> tuple[tuple[int, tuple[str, str]], ...]:
    """Kept per passage: the same passages come back for many questions, and each sample is parsed to know."""
    text = " ".join(passage_text.split())
    placed = [(text.find(" ".join(code.split())), cut_example(language, code)) for language, code in examples]
    return tuple((where, example) for where, example in placed if check_syntax(*example))


def shows_something(question: str, passage: Passage) -> bool:
    """Whether an answer from `passage` has more than its citation: a lead, an example that parses, a sentence."""
    return bool(
        passage.lead_for(question)
        or parsing_examples(passage)
        or best_sentences(question, [passage.hit.text], 1, commands=passage.commands)
    )
