"""Whether a message needs technical steps, not care alone: people in distress with a technical problem need both.

People ask for technical help in every shape: "can I get it back?", "X keeps putting files in the wrong folder",
a pasted error and a plea. A list of ask phrases and software words found only some of them, and took "how do I
stop taking code review comments personally?" for one. So a learned head decides (`make train-technical`,
services/abbey/training/technical.py): a logistic regression on the embedding index's sentence vector of the
message's ask (`focus_query`), the vector Abbey's knowledge search returns anyway, so reading it costs no model
run. It was fitted on messages helpers wrote for the distinction: technical asks told with feeling and calmly,
technology told only as the cause of a feeling, everyday messages. Without a vector (the index down) the ask
patterns and Abi's query type decide, as before the head.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from personamesh.v1 import persona_pb2
from services.abbey.emotion import EmotionReading
from services.common.generation.grounding import Retrieved
from services.common.safety.head import LogisticHead

HEAD_PATH: Final = Path(__file__).parent / "models" / "technical_head.json"

TECHNICAL_QUERY_TYPES = frozenset(
    {"code_request", "debugging", "factual_query", "explanation", "documentation", "comparison", "optimization"}
)
# A knowledge hit this similar makes a question technical even without Abi's query type (any message, without the
# head).
STRONG_KNOWLEDGE = 0.5
# Questions and problem reports that a weaker knowledge hit may still answer.
_QUESTION = re.compile(r"\?\s*$|^(who|what|when|where|which|why|how)\b|\b\w+(Error|Exception)\b", re.I)
# Words that make an ask about software, not a life ("how do I fix things with my sister").
_SOFTWARE_WORDS = (
    r"kubernetes|kubectl|docker|git|python|sql|server|database|api|exception|function|script|code|cluster|"
    r"deploy\w*|compil\w*"
)
_SOFTWARE = re.compile(rf"\b({_SOFTWARE_WORDS})\b", re.I)
# Without the head: technical asks inside an emotional message ("... how do I roll back a kubernetes deployment"),
# with the software named before the ask too ("I deleted a branch in git ..., how do I get it back?").
_TECH_ASK = re.compile(
    rf"\b(how (do|can|should) i|how to|what('s| is) the (command|way)|steps to)\b.{{0,80}}\b("
    rf"roll ?back|install|configure|debug|fix|revert|restart|migrat\w*|merge|rebase|build|error|{_SOFTWARE_WORDS})"
    rf"|\b({_SOFTWARE_WORDS})\b.{{0,120}}\b(how (do|can|should) i|how to)\b",
    re.I,
)


class TechnicalHead(LogisticHead):
    """Fires for a message whose good answer includes technical steps (given no vector, it never fires)."""

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> TechnicalHead:
        return cls.read(path)


def needs_steps(
    request: persona_pb2.PersonaRequest,
    reading: EmotionReading,
    retrieved: Retrieved,
    question: bool,
    head: TechnicalHead | None,
) -> bool:
    """Technical when Abi's query type says so and the message asks something, else when the head says so.

    Abi's query type says what kind of ask a message would be, not that it asks anything: news told with no ask ("my
    dog Pepper has been limping since yesterday", a factual query to Abi) is heard, not answered "I have no source";
    a problem report naming software or an error is still an ask."""
    content = request.content
    query_type = request.routing.query_type if request.HasField("routing") else ""
    asks = question or bool(_SOFTWARE.search(content) or _QUESTION.search(content))
    if query_type in TECHNICAL_QUERY_TYPES and asks:
        return True
    if head is not None and retrieved.vector:
        # A question the documentation answers closely is technical whatever its wording ("How does TCP congestion
        # control work?").
        strong = bool(retrieved.hits) and retrieved.hits[0].score >= STRONG_KNOWLEDGE and question
        return strong or head.fires(retrieved.vector)
    if query_type in TECHNICAL_QUERY_TYPES:
        return False
    if _TECH_ASK.search(content) and _SOFTWARE.search(content):
        # A technical ask naming software gets its answer whatever the query type (documented, or "I have no source
        # on this"), not care alone as if the question had not been asked.
        return True
    if not retrieved.hits or query_type:
        return False
    if retrieved.hits[0].score >= STRONG_KNOWLEDGE:
        return True
    return bool(_QUESTION.search(content)) and reading.intensity < 0.6
