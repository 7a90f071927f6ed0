"""Whether a question is about software at all, read from the sentence vector the knowledge search returns.

The personas answer from the Python documentation and the manuals of everyday command-line tools. A general
question ("What's the capital of Australia?") that shares a word with them could clear the rerankers' answer
threshold and get an unrelated passage as its answer. The gate, a logistic head fitted by `make fit-domain-gate`
(services/aviva/training/domain.py, its card in the same file), recognises such questions, so they are said to be
outside the documentation held. It costs no model run: the vector is the one `SearchKnowledge` already returned.

The gate knows only the built-in documentation's domain. When an operator's own documents are among the
candidates (`make ingest`: a handbook, a product manual), the rerankers decide, with a similarity floor
(`answer.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.common.doc_sources import BUILT_IN_PREFIXES
from services.common.safety.head import LogisticHead

GATE_PATH = Path(__file__).parent / "models" / "domain_gate.json"

OUTSIDE = (
    "I answer from the Python 3.11 documentation and the manuals of everyday command-line tools (git, tar, find, "
    "grep, sed, awk, ssh, curl, coreutils), and this question is outside them, so I won't guess."
)


class DomainGate(LogisticHead):
    """Fires for a question that is not about software or its tools (given no vector, as when the index is
    unreachable, it never fires)."""

    @classmethod
    def load(cls, path: Path = GATE_PATH) -> DomainGate:
        return cls.read(path)


def built_in_only(hits: Iterable[index_pb2.KnowledgeHit]) -> bool:
    """Every candidate is from the documentation the mesh ships (none from an operator's own documents)."""
    return all(hit.source.startswith(BUILT_IN_PREFIXES) for hit in hits)
