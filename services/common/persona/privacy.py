"""What of a request a persona's logic may see: the redacted text, and an opaque user id for logs."""

from __future__ import annotations

import hashlib

from personamesh.v1 import persona_pb2
from services.common import pii


def redacted_request(request: persona_pb2.PersonaRequest) -> persona_pb2.PersonaRequest:
    """A copy of the request with PII replaced by placeholders wherever text reaches a model, a store or a log."""
    safe = persona_pb2.PersonaRequest()
    safe.CopyFrom(request)
    safe.content = pii.redact_text(request.content)
    for turn in safe.recent_turns:
        turn.content = pii.redact_text(turn.content)
    for key, value in request.metadata.items():
        safe.metadata[key] = pii.redact_text(value)
    if safe.HasField("routing"):
        safe.routing.moderation.redacted_text = pii.redact_text(safe.routing.moderation.redacted_text)
    return safe


def pii_sources(request: persona_pb2.PersonaRequest) -> list[str]:
    """The raw texts whose PII must leave no trace in the answer."""
    return [request.content, *(turn.content for turn in request.recent_turns if turn.role == persona_pb2.ROLE_USER)]


def opaque_user(user_id: str) -> str:
    """A stable stand-in for the user id sent to model endpoints (it may be an email address)."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:24] if user_id else ""
