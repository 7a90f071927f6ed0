"""Aviva's fact checker: every claim of the answer checked against the retrieved knowledge.

A claim (a declarative prose sentence) is verified when one source contains
most of its content words; it is contradicted when the closest source sentence
says the same with the negation flipped. Unverified and contradicted claims
lower the answer's confidence and are listed in the reasoning chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.common.generation.grounding import content_words, prose_sentences

_NEGATION = re.compile(r"\b(not|no|never|none|cannot|can't|isn't|aren't|wasn't|weren't|doesn't|don't|didn't)\b", re.I)
# Sentences Aviva writes about the answer itself, not claims about the world.
_META = re.compile(
    r"^(sources?:|source \(|here is|based on|i don't have|i do not have|this is a skeleton|ask me|"
    r"likely cause|checklist|steps:|your \w+ snippet)",
    re.I,
)

# A line that ends with a cited address ("- `reversed(seq)`: Python 3.11 docs: Built-in Functions <https://...>",
# the answer's "See also" list) names a passage; it claims nothing to check.
_CITATION = re.compile(r"<(?:https?://|man:)[^<>\s]+>\s*$")


@dataclass(frozen=True)
class ClaimCheck:
    claim: str
    support: float
    verified: bool
    contradicted: bool


@dataclass(frozen=True)
class FactReport:
    checks: list[ClaimCheck]

    @property
    def verified(self) -> int:
        return sum(1 for check in self.checks if check.verified)

    @property
    def contradicted(self) -> int:
        return sum(1 for check in self.checks if check.contradicted)

    @property
    def ratio(self) -> float:
        """Share of claims verified (1.0 when there is nothing to check)."""
        return self.verified / len(self.checks) if self.checks else 1.0


def claims_of(answer: str, exempt: frozenset[str] = frozenset()) -> list[str]:
    """Declarative prose sentences of the answer (no code, questions, meta or exempt template sentences)."""
    return [
        sentence
        for sentence in prose_sentences(answer)
        if sentence not in exempt
        and not sentence.endswith("?")
        and not _META.match(sentence)
        and not _CITATION.search(sentence)
        and len(content_words(sentence)) >= 3
    ]


def check_claims(answer: str, sources: list[str], threshold: float, exempt: frozenset[str] = frozenset()) -> FactReport:
    claims = claims_of(answer, exempt)
    if not claims:
        return FactReport([])
    # Each source and source sentence is split into words once, not once per claim.
    source_words = [content_words(source) for source in sources]
    sentences = [(sentence, content_words(sentence)) for source in sources for sentence in prose_sentences(source)]
    checks: list[ClaimCheck] = []
    for claim in claims:
        words = content_words(claim)
        best_support = max((len(words & known) / len(words) for known in source_words), default=0.0)
        closest, closest_share = "", 0.0
        for sentence, known in sentences:
            share = len(words & known) / len(words)
            if share > closest_share:
                closest, closest_share = sentence, share
        contradicted = closest_share >= threshold and bool(_NEGATION.search(claim)) != bool(_NEGATION.search(closest))
        checks.append(
            ClaimCheck(claim, round(best_support, 3), best_support >= threshold and not contradicted, contradicted)
        )
    return FactReport(checks)
