"""What kind of question this is: Abi's query type, from the routing decision.

Abi owns the one query-type classifier (a head of its model); Aviva reads the decision's
`query_type`. Without a routing decision (a caller that skipped Abi, or Abi down) the question is
treated as "general": Aviva answers from retrieved knowledge without writing code.
"""

from __future__ import annotations

from dataclasses import dataclass

from personamesh.v1 import persona_pb2


@dataclass(frozen=True)
class QueryClass:
    query_type: str
    confidence: float
    source: str  # "routing" or "default"


def classify(request: persona_pb2.PersonaRequest) -> QueryClass:
    """Abi's query type when the request carries a routing decision, else "general"."""
    if request.HasField("routing") and request.routing.query_type:
        return QueryClass(request.routing.query_type, max(0.5, float(request.routing.confidence)), "routing")
    return QueryClass("general", 0.5, "default")
