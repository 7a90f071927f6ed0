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
_FLAG = re.compile(r"\b(flag|option|switch|argument|parameter|--?\w)")
_COMMAND = re.compile(
    r"\b(undo|revert|delete|remove|create|extract|list|show|find|copy|move|rename|push|pull|clone|merge|rebase|"
    r"commit|stash|checkout|switch|restore|download|upload|compress|archive)\b"
)


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
    """The tools of retrieved man pages that the question names ("git", "tar")."""
    words = set(re.findall(r"[a-z][a-z0-9+-]*", question.lower()))
    return {p.tool for p in passages if p.man and (p.tool in words or p.page in words)}


def rerank(question: str, passages: list[Passage]) -> tuple[Intent, list[Ranked]]:
    """The passages best first for this question, and the intent that ordered them."""
    named = tools_named(question, passages)
    intent = intent_of(question, named)
    wanted = content_words(question)
    lowered = question.lower()
    mentions_python = "python" in lowered or any(p.python and p.page in wanted for p in passages)
    ranked: list[Ranked] = []
    for position, passage in enumerate(passages):
        lexical = passage.hit.lexical_score
        score = 0.5 / (position + 1)  # the index's fused order
        score += lexical / (lexical + 8.0) + max(0.0, passage.hit.score)  # BM25 saturated, cosine
        heading_words = content_words(passage.heading.replace("-", " ")) | content_words(passage.heading)
        score += 0.4 * len(wanted & heading_words)
        if named:
            score += 1.0 if passage.tool in named else -1.5
            if passage.page in wanted or passage.page.replace("-", " ") in lowered:
                score += 0.5
        elif passage.man and mentions_python:
            score -= 1.0
        if intent == "flag" and passage.lead.startswith("-"):
            score += 0.5
        if intent in ("call", "flag") and passage.python and passage.lead:
            score += 0.5
        if intent == "command" and passage.examples:
            score += 0.3 + (0.3 if "EXAMPLES" in passage.hit.title else 0.0)
        if intent == "concept" and not passage.lead:
            score += 0.3
        ranked.append(Ranked(passage, score))
    ranked.sort(key=lambda r: -r.score)
    return intent, ranked
