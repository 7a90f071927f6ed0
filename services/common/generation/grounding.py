"""Grounding material for answers: knowledge and memory from the embedding index, and sentence picking.

Calls to the index get their own small budget and return None when the index
is down or slow, so a persona answers anyway (degraded). The sentence helpers
are deterministic: the same knowledge and question give the same sentences.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

import grpc

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.common import context as ctx
from services.common.breaker import AsyncCircuitBreaker, BreakerOpenError
from services.common.clients import EmbeddingIndexClient
from services.common.text import split_sentences

if TYPE_CHECKING:  # the async stub class exists only in the generated type stubs
    from personamesh.v1.embedding_index_service_pb2_grpc import EmbeddingIndexServiceAsyncStub

log = logging.getLogger(__name__)
T = TypeVar("T")

_STOPWORDS = frozenset(
    """
    a about again all also an and any are as at be been being both but by can could did do does doing
    don done down each else few for from further get got had has have having he here how i i'm if in
    into is it it's its just may me might more most must my no not now of off on once only or other our
    out over own s same shall she should so some such t than that the their then there there's these
    they this those to too under up use used using very was we were what when where which who whom whose
    why will with would yes you your
    """.split()  # noqa: SIM905
)
_WORD = re.compile(r"[a-z0-9][a-z0-9_+#.-]*")


def index_budget(timeout: float) -> float:
    """The smaller of `timeout` and a third of what the caller's deadline leaves."""
    remaining = ctx.time_remaining()
    return timeout if remaining is None else min(timeout, remaining / 3.0)


_OUTAGE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL})


def _not_an_outage(error: BaseException) -> bool:
    """Errors the breaker ignores: the index answered, it just did not like the request."""
    return isinstance(error, grpc.aio.AioRpcError) and error.code() not in _OUTAGE_CODES


class IndexCaller:
    """Calls to the embedding index within a budget, behind a breaker.

    When the index is down, every call would otherwise pay the channel's connect
    attempts and retries; after a few failures the breaker answers "unavailable"
    at once, and one probe per `reset_seconds` checks whether it is back.
    """

    def __init__(
        self,
        client: EmbeddingIndexClient,
        budget_seconds: float,
        *,
        breaker_failures: int = 3,
        reset_seconds: float = 2.0,
    ) -> None:
        self.client = client
        self.budget_seconds = budget_seconds
        self.breaker = AsyncCircuitBreaker(
            f"index:{client.target}",
            fail_max=breaker_failures,
            reset_timeout=reset_seconds,
            success_threshold=1,
            exclude=[_not_an_outage],
        )

    @property
    def stub(self) -> EmbeddingIndexServiceAsyncStub:
        return self.client.stub

    async def call(self, call: Callable[[float], Awaitable[T]]) -> T | None:
        """`call(timeout)` within the budget; None when the index is down, slow or its breaker is open."""
        budget = index_budget(self.budget_seconds)
        if budget <= 0.0:
            return None
        try:
            async with self.breaker.guard():
                return await call(budget)
        except BreakerOpenError:
            return None
        except grpc.aio.AioRpcError as error:
            log.warning("embedding index call failed", extra={"code": error.code().name, "details": error.details()})
            return None
        except TimeoutError:
            return None

    async def close(self) -> None:
        await self.client.close()


@dataclass(frozen=True)
class Retrieved:
    hits: list[index_pb2.KnowledgeHit]
    available: bool
    vector: list[float] | None = None  # the query's sentence vector (the index's, as `embed` gives it)


async def search_knowledge(
    index: IndexCaller,
    query: str,
    *,
    k: int,
    min_score: float,
    hybrid: bool = False,
    collection: index_pb2.KnowledgeCollection.ValueType = index_pb2.KNOWLEDGE_COLLECTION_REFERENCE,
) -> Retrieved:
    """Chunks relevant to `query`, best first; `available = False` when the index did not answer.

    `hybrid` fuses BM25 with the vector ranking (the index applies `min_score` to vector-only hits then).
    """
    request = index_pb2.SearchKnowledgeRequest(
        query=query, k=k, min_score=min_score, hybrid=hybrid, collection=collection
    )
    reply = await index.call(lambda t: index.stub.SearchKnowledge(request, timeout=t))
    if reply is None:
        return Retrieved([], False)
    vector = list(reply.query_vector) or None
    if hybrid:
        return Retrieved(list(reply.hits), True, vector)
    return Retrieved([hit for hit in reply.hits if hit.score >= min_score], True, vector)


async def embed(index: IndexCaller, text: str) -> list[float] | None:
    """The index's sentence vector of `text` (the one its searches use); None when the index did not answer."""
    reply = await index.call(lambda t: index.stub.Embed(index_pb2.EmbedRequest(texts=[text]), timeout=t))
    return list(reply.vectors[0].values) if reply is not None and reply.vectors else None


async def message_vector(index: IndexCaller, text: str, retrieved: Retrieved, searched: str) -> list[float] | None:
    """The sentence vector of `text` after a knowledge search for `searched`: the one the search returned when it
    searched `text` itself, else (a long message searched by its ask) one Embed call."""
    return retrieved.vector if searched == text and retrieved.vector else await embed(index, text)


def to_references(hits: list[index_pb2.KnowledgeHit], snippet_chars: int = 240) -> list[persona_pb2.Reference]:
    """One reference per cited passage URL (else per source document), in rank order."""
    seen: set[str] = set()
    references: list[persona_pb2.Reference] = []
    for hit in hits:
        key = hit.url or hit.source or hit.chunk_id
        if key in seen:
            continue
        seen.add(key)
        snippet = " ".join(hit.text.split())
        if len(snippet) > snippet_chars:
            snippet = snippet[: snippet_chars - 1].rsplit(" ", 1)[0] + "…"
        references.append(
            persona_pb2.Reference(
                title=hit.title or hit.source, url=hit.url, snippet=snippet, confidence=round(float(hit.score), 3)
            )
        )
    return references


@lru_cache(maxsize=2048)
def content_words(text: str) -> frozenset[str]:
    """Lower-cased words that carry meaning (no stopwords), light plural folding.

    Remembered for the last texts seen: the rerankers and the fact check read the same retrieved passages and
    their sentences for many questions (~2 ms of a persona's CPU per answer when every call was computed)."""
    words = set()
    tokens = _WORD.findall(text.lower())
    tokens += [part for token in tokens if "." in token.strip(".") for part in token.split(".")]
    for word in tokens:
        word = word.rstrip(".-")
        if len(word) < 2 or word in _STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


def grid_table_rows(text: str) -> list[list[str]]:
    """Rows of reStructuredText grid tables (as in Python's pydoc topics), multi-line cells joined."""
    rows: list[list[str]] = []
    current: list[list[str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("+") and set(stripped) <= set("+-=| "):
            row = [" ".join(" ".join(parts).split()).replace("*", "") for parts in current]
            if row and not any("===" in cell or "---" in cell for cell in row):
                rows.append(row)
            current = []
        elif stripped.startswith("|") and stripped.endswith("|"):
            cells = [cell.strip() for cell in stripped[1:-1].split("|")]
            if not current:
                current = [[] for _ in cells]
            if len(cells) == len(current):
                for parts, cell in zip(current, cells, strict=True):
                    if cell:
                        parts.append(cell)
        else:
            current = []
    return rows


def _tables_as_sentences(text: str) -> str:
    """Grid tables rewritten as one "first cell: second cell." sentence per row, so prose tools can use them."""
    if "+--" not in text:
        return text
    rows = grid_table_rows(text)
    prose_lines = [line for line in text.splitlines() if not line.strip().startswith(("|", "+"))]
    rendered = [f"{row[0]}: {row[1]}." for row in rows if len(row) >= 2 and row[0] and row[1]]
    return "\n".join(prose_lines + rendered)


def prose_sentences(text: str) -> list[str]:
    """Prose sentences of a Markdown text (fenced code, headings and list markers removed), one line at a time."""
    prose = re.sub(r"```.*?```", " ", _tables_as_sentences(text), flags=re.DOTALL)
    sentences: list[str] = []
    for line in prose.splitlines():
        line = re.sub(r"^\s*(#+|[-*+]|\d+[.)])\s+", "", line).strip()
        if not line:
            continue
        sentences.extend(split_sentences(line))
    return sentences


# A sentence about the manual itself ("This manual page documents the GNU version of chmod."): nothing about the
# command it documents.
_ABOUT_THE_MANUAL = re.compile(
    r"^(?:this|the present) (?:manual page|man page|manual|documentation|page) (?:documents|describes|is meant for)\b",
    re.IGNORECASE,
)


def is_clean_sentence(sentence: str, commands: frozenset[str] = frozenset()) -> bool:
    """A whole prose sentence: not a table row, a fragment cut at a chunk boundary, a lead-in ending in a colon
    (it introduces an example or a list the answer does not show: "For example, you can make an FTP request like
    so:"), or a sentence about the manual itself. A sentence opening with the name of a command of `commands` in
    lower case is whole when it ends ("scp copies files between hosts on a network.": man pages write so)."""
    if len(sentence) < 12 or "|" in sentence or "+--" in sentence or sentence.count("`") % 2:
        return False
    if _ABOUT_THE_MANUAL.match(sentence):
        return False
    if sentence.rstrip().endswith(":"):
        return False
    if sentence.count("(") != sentence.count(")") or sentence.count('"') % 2:
        return False
    if sentence.split(" ", 1)[0] in commands and sentence.endswith("."):
        return True
    return sentence[0].isupper() or sentence[0].isdigit() or (sentence[0] in "\"'`(" and sentence[-1] in ".!?")


def best_sentences(
    query: str, texts: list[str], limit: int, min_overlap: int = 1, commands: frozenset[str] = frozenset()
) -> list[str]:
    """The `limit` sentences of `texts` sharing the most content words with `query` (ties: earlier first);
    `commands`: the commands the texts document, whose names may open a sentence (`is_clean_sentence`)."""
    wanted = content_words(query)
    scored: list[tuple[float, int, str]] = []
    order = 0
    seen: set[str] = set()
    for text in texts:
        for sentence in prose_sentences(text):
            key = sentence.lower()
            if key in seen or not is_clean_sentence(sentence, commands):
                continue
            seen.add(key)
            words = content_words(sentence)
            overlap = len(wanted & words)
            if overlap >= min_overlap:
                # Overlap first, then prefer sentences that are mostly about the question.
                scored.append((overlap + overlap / (len(words) + 3), order, sentence))
            order += 1
    scored.sort(key=lambda item: (-item[0], item[1]))
    chosen = sorted(scored[:limit], key=lambda item: item[1])
    return [sentence for _, _, sentence in chosen]


def support_ratio(claim: str, sources: list[str]) -> float:
    """Share of the claim's content words found together in one source (the best one)."""
    words = content_words(claim)
    if not words:
        return 1.0
    best = 0.0
    for source in sources:
        best = max(best, len(words & content_words(source)) / len(words))
    return best
