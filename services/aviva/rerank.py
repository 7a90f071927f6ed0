"""Reranking retrieved documentation by what the question asks for: a call, a command, a flag or a concept.

The index returns passages fused from BM25 and vector search; this orders them for an answer. The question's
intent decides which kind of passage leads (an option entry for "curl follow redirects", a library definition
for "parse an ISO date string", an EXAMPLES entry for "undo the last commit", prose for "what does ... mean");
a tool the question names keeps other tools' pages out of the lead, and words of the question found in a
passage's heading (its signature or option line) count most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from services.aviva.passage import Passage
from services.common.generation.grounding import content_words

Intent = Literal["call", "command", "flag", "concept"]

_CONCEPT = re.compile(r"^(what (is|are|does|do)|why|explain|difference between|what's the difference|meaning of)\b")
_FLAG = re.compile(r"\b(flag|option|switch|argument|parameter)\b|(?:^|\s)--?\w")
# Words that put a question in git's world though it never says "git".
_GIT_WORDS = re.compile(
    r"\b(commits?|branch(es)?|rebase|stash(es)?|merge|repo|repository|remote|HEAD|cherry-pick|reflog|"
    r"staged|unstaged|untracked|working tree|submodules?|tags?)\b"
)
# Tool names that are also everyday words ("sort a list", "split a string", "join lines"): a question names the
# tool only in a shell context.
_AMBIGUOUS = frozenset(
    {"sort", "split", "join", "cut", "head", "tail", "date", "touch", "stat", "sleep", "seq", "env", "find", "paste",
     "comm", "timeout", "cat", "nl", "ln", "tr", "shuf", "mktemp", "basename", "dirname", "chgrp"}
)  # fmt: skip
_SHELL = re.compile(r"\b(command|shell|bash|terminal|linux|unix|cli|coreutils)\b|(?:^|\s)--?\w|\|")
_COMMAND = re.compile(
    r"\b(undo|revert|delete|remove|create|extract|list|show|find|copy|move|rename|push|pull|clone|merge|rebase|"
    r"commit|stash|checkout|switch|restore|download|upload|compress|archive)\b"
)


@dataclass(frozen=True)
class Weights:
    """How much each signal counts: found by coordinate search on the docs QA dev split (top-1 and top-4 hit
    rate), the test split never looked at. A negative weight means the signal misled more than it helped there
    (the question's words in a heading favour long signatures that merely mention them)."""

    position: float = 0.75  # the index's fused order: position / (rank + 1)
    lexical: float = 0.0  # BM25, saturated: score / (score + 8) (already in the fused order; more did not help)
    cosine: float = 1.5
    heading: float = -0.1  # per question word in the passage's heading (signature, option line)
    tool: float = 1.0  # the tool the question names
    other_tool: float = -1.5
    page: float = -0.5  # the page's own name in the question
    man_for_python: float = -1.0
    option_for_flag: float = 0.5
    definition_for_call: float = -0.5
    example_for_command: float = -0.2
    prose_for_concept: float = -0.2


@dataclass(frozen=True)
class Ranked:
    passage: Passage
    score: float


def intent_of(question: str, tools_named: set[str]) -> Intent:
    """Concept for "what/why/explain", flag when an option is asked for, command for a tool task, else call."""
    lowered = question.lower().strip()
    if _CONCEPT.search(lowered):
        return "concept"
    if tools_named:
        return "flag" if _FLAG.search(lowered) else "command" if _COMMAND.search(lowered) else "flag"
    return "flag" if _FLAG.search(lowered) and "python" not in lowered else "call"


def tools_named(question: str, passages: list[Passage]) -> set[str]:
    """The tools of retrieved man pages that the question names ("git", "tar"), or git by its vocabulary."""
    lowered = question.lower()
    words = set(re.findall(r"[a-z][a-z0-9+-]*", lowered))
    shell = bool(_SHELL.search(lowered))
    named = {
        p.tool
        for p in passages
        if p.man and (p.tool in words or p.page in words) and (p.tool not in _AMBIGUOUS or shell)
    }
    if not named and "python" not in lowered and _GIT_WORDS.search(question):
        named.add("git")
    return named


def rerank(question: str, passages: list[Passage], w: Weights = Weights()) -> tuple[Intent, list[Ranked]]:
    """The passages best first for this question, and the intent that ordered them."""
    named = tools_named(question, passages)
    intent = intent_of(question, named)
    wanted = content_words(question)
    lowered = question.lower()
    mentions_python = "python" in lowered or any(p.python and p.page in wanted for p in passages)
    ranked: list[Ranked] = []
    for position, passage in enumerate(passages):
        lexical = passage.hit.lexical_score
        score = w.position / (position + 1)
        score += w.lexical * lexical / (lexical + 8.0) + w.cosine * max(0.0, passage.hit.score)
        heading_words = content_words(passage.heading.replace("-", " ")) | content_words(passage.heading)
        score += w.heading * len(wanted & heading_words)
        if named:
            score += w.tool if passage.tool in named else w.other_tool
            if passage.page in wanted or passage.page.replace("-", " ") in lowered:
                score += w.page
        elif passage.man and mentions_python:
            score += w.man_for_python
        if intent == "flag" and passage.lead.startswith("-"):
            score += w.option_for_flag
        if intent in ("call", "flag") and passage.python and passage.lead:
            score += w.definition_for_call
        if intent == "command" and passage.examples:
            score += w.example_for_command * (2 if "EXAMPLES" in passage.hit.title else 1)
        if intent == "concept" and not passage.lead:
            score += w.prose_for_concept
        ranked.append(Ranked(passage, score))
    ranked.sort(key=lambda r: -r.score)
    return intent, ranked
