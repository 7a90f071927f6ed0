"""Reranking retrieved documentation: which passage answers the question, and whether any does.

The index returns passages fused from BM25 and vector search; this orders them in two stages, as retrieval
systems do. First a linear model over cheap features of every candidate (its place in the fused order, its
similarity, the question's words in its heading and text, the tool the question names, how much real code uses
the call it documents (`usage.py`), what kind of passage it is crossed with what the question asks for: a call, a
command, a flag or a concept), fitted on questions
with known answers (`services/aviva/training/fit.py`, weights in `models/rerank.json`). Then the cross-encoder
(`cross_encoder.py`) reads the question with each of the first `PM_RERANK_DEPTH` passages. They are ordered by
their confidence, the geometric mean of both stages' probabilities, and whether Aviva answers at all is the best
one's confidence (`PM_ANSWER_THRESHOLD`, default: the threshold in the cross-encoder's card). Ordering by the
cross-encoder's probability alone let an example that merely uses a call win over the call's own entry, which the
linear stage ranks higher (services/aviva/training/RULES.md).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Literal

from services.common.generation.grounding import content_words
from services.common.knowledge.cross_encoder import MODELS_DIR, CrossEncoder, reading
from services.common.knowledge.passage import Passage
from services.common.knowledge.usage import usage

Intent = Literal["call", "command", "flag", "concept"]
INTENTS: tuple[Intent, ...] = ("call", "command", "flag", "concept")
KINDS = ("option", "definition", "example", "synopsis", "boilerplate", "name", "prose")
MODEL_FILE = Path(__file__).parent / "models" / "rerank.json"

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
_BOILERPLATE = re.compile(r"\b(SEE ALSO|AUTHORS?|REPORTING BUGS|COPYRIGHT|GIT|HISTORY|BUGS|NOTES)\b\s*(>|$)")


@dataclass(frozen=True)
class Ranked:
    passage: Passage
    score: float  # the last stage's probability that this passage answers the question
    # The order, and whether to answer from it: the geometric mean of both stages' probabilities (the linear
    # one's alone without the cross-encoder). Both must agree: on held-out questions this abstains on off-corpus
    # questions at a smaller cost in correct answers than either stage alone (services/aviva/training/calibrate.py).
    confidence: float


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


def passage_kind(passage: Passage) -> str:
    """What a passage is: an option entry, a library definition, an example, a synopsis, a NAME line,
    boilerplate (SEE ALSO, AUTHOR...) or prose."""
    title = passage.hit.title
    if passage.man and passage.lead.startswith("-"):
        return "option"
    if passage.python and passage.lead:
        return "definition"
    if "SYNOPSIS" in title:
        return "synopsis"
    if title.endswith("> NAME") or " > NAME:" in title:
        return "name"
    if _BOILERPLATE.search(title):
        return "boilerplate"
    if passage.examples:
        return "example"
    return "prose"


def feature_names() -> tuple[str, ...]:
    base = (
        "position", "lexical", "cosine", "heading_words", "text_words", "lead_words", "tool", "other_tool",
        "page_named", "man_for_python", "python_no_tool", "length", "cosine_gap", "lexical_share", "best_cosine",
        "usage",
    )  # fmt: skip
    return base + tuple(f"{intent}:{kind}" for intent in INTENTS for kind in KINDS)


FEATURES = feature_names()


def features(question: str, passages: list[Passage]) -> tuple[Intent, list[list[float]]]:
    """The question's intent and each passage's feature vector, in FEATURES order."""
    named = tools_named(question, passages)
    intent = intent_of(question, named)
    wanted = content_words(question)
    share = 1.0 / max(1, len(wanted))
    lowered = question.lower()
    mentions_python = "python" in lowered or any(p.python and p.page in wanted for p in passages)
    best_cosine = max((max(0.0, p.hit.score) for p in passages), default=0.0)
    best_lexical = max((p.hit.lexical_score for p in passages), default=0.0)
    rows: list[list[float]] = []
    for position, passage in enumerate(passages):
        lexical = passage.hit.lexical_score
        heading_words = content_words(passage.heading.replace("-", " ")) | content_words(passage.heading)
        text_words = content_words(passage.hit.text) | heading_words
        lead_words = content_words(passage.lead.replace("-", " ")) | content_words(passage.lead)
        page_named = bool(passage.page) and (passage.page in wanted or passage.page.replace("-", " ") in lowered)
        kind = passage_kind(passage)
        row = [
            1.0 / (position + 1),
            lexical / (lexical + 8.0),
            max(0.0, passage.hit.score),
            len(wanted & heading_words) * share,
            len(wanted & text_words) * share,
            len(wanted & lead_words) * share,
            float(bool(named) and passage.tool in named),
            float(bool(named) and passage.tool not in named),
            float(page_named),
            float(not named and passage.man and mentions_python),
            float(not named and passage.python),
            math.log1p(len(passage.hit.text)) / 8.0,
            max(0.0, passage.hit.score) - best_cosine,
            lexical / best_lexical if best_lexical > 0 else 0.0,
            best_cosine,
            usage(passage),
        ]
        row.extend(float(i == intent and k == kind) for i in INTENTS for k in KINDS)
        rows.append(row)
    return intent, rows


@dataclass(frozen=True)
class RerankModel:
    """A weight per feature and a bias: the logistic model `make fit-rerank` writes."""

    weights: dict[str, float]
    bias: float
    answer_threshold: float

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> RerankModel:
        document = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(document["weights"]) - set(FEATURES)
        if unknown:
            raise ValueError(f"{path}: features this code does not compute: {sorted(unknown)}")
        weights = {name: float(document["weights"].get(name, 0.0)) for name in FEATURES}
        return cls(weights, float(document["bias"]), float(document["answer_threshold"]))

    def probability(self, row: list[float]) -> float:
        logit = self.bias + sum(self.weights[name] * value for name, value in zip(FEATURES, row, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


@cache
def shipped_model() -> RerankModel:
    return RerankModel.load()


def rerank(question: str, passages: list[Passage], model: RerankModel | None = None) -> tuple[Intent, list[Ranked]]:
    """The passages best first for this question, each with the probability that it answers, and the intent."""
    model = model or shipped_model()
    intent, rows = features(question, passages)
    ranked = []
    for passage, row in zip(passages, rows, strict=True):
        probability = model.probability(row)
        ranked.append(Ranked(passage, probability, probability))
    ranked.sort(key=lambda r: -r.score)
    return intent, ranked


class Reranker:
    """The two stages for one replica: the linear model always, the cross-encoder unless switched off."""

    def __init__(
        self, *, cross_encoder: bool = True, depth: int | None = None, threads: int = 1, cross_dir: Path | None = None
    ) -> None:
        """`depth`: passages the cross-encoder reads (None: the depth its card was calibrated at)."""
        self.linear = shipped_model()
        self.cross = CrossEncoder(cross_dir or MODELS_DIR, threads=threads) if cross_encoder else None
        self.depth = depth or (int(self.cross.card["depth"]) if self.cross else 0)

    @property
    def answer_threshold(self) -> float:
        """The confidence the best passage needs to be given as the answer (from the last stage's card)."""
        return self.cross.answer_threshold if self.cross else self.linear.answer_threshold

    async def rank(self, question: str, passages: list[Passage]) -> tuple[Intent, list[Ranked]]:
        """The passages best first with the probability that each answers; the cross-encoder runs in a worker
        thread (tens of milliseconds of CPU) so the event loop keeps serving."""
        intent, ranked = rerank(question, passages, self.linear)
        if self.cross is None or not ranked:
            return intent, ranked
        head, tail = ranked[: self.depth], ranked[self.depth :]
        texts = [reading(r.passage.hit.title, r.passage.hit.text) for r in head]
        probabilities = await asyncio.to_thread(self.cross.probabilities, question, texts)
        head = sorted(
            (
                replace(r, score=p, confidence=math.sqrt(p * r.confidence))
                for r, p in zip(head, probabilities, strict=True)
            ),
            key=lambda r: -r.confidence,
        )
        return intent, head + [replace(r, score=0.0, confidence=0.0) for r in tail]
