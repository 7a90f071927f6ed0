"""Request checks: bad input becomes INVALID_ARGUMENT with a reason, never INTERNAL."""

from __future__ import annotations

import math
import re

from personamesh.v1 import abi_service_pb2, persona_pb2
from services.abi.convert import PERSONA_NAME
from services.common.errors import invalid_argument
from services.common.reasons import Reason

ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def check_text(text: str, field: str, max_chars: int) -> None:
    if not text.strip():
        raise invalid_argument(Reason.EMPTY_CONTENT, f"{field} is empty", field)
    if len(text) > max_chars:
        raise invalid_argument(
            Reason.CONTENT_TOO_LONG, f"{field} has {len(text)} characters; the limit is {max_chars}", field
        )
    if "\x00" in text:
        raise invalid_argument(Reason.INVALID_CHARACTERS, f"{field} contains NUL characters", field)


def check_route_request(
    request: abi_service_pb2.RouteRequest, *, max_chars: int, max_turns: int, max_metadata: int
) -> None:
    if not request.HasField("request"):
        raise invalid_argument(Reason.MISSING_REQUEST, "request is required", "request")
    inner = request.request
    check_text(inner.content, "request.content", max_chars)
    if inner.forced_persona not in PERSONA_NAME and inner.forced_persona != persona_pb2.PERSONA_UNSPECIFIED:
        raise invalid_argument(
            Reason.UNKNOWN_PERSONA,
            f"forced_persona {inner.forced_persona} is not a known persona",
            "request.forced_persona",
        )
    if inner.forced_persona == persona_pb2.PERSONA_ABI:
        raise invalid_argument(
            Reason.PERSONA_NOT_ROUTABLE,
            "abi moderates and cannot be asked for; use abbey or aviva",
            "request.forced_persona",
        )
    if len(inner.recent_turns) > max_turns:
        raise invalid_argument(
            Reason.TOO_MANY_TURNS,
            f"{len(inner.recent_turns)} recent turns; the limit is {max_turns}",
            "request.recent_turns",
        )
    for i, turn in enumerate(inner.recent_turns):
        if turn.role not in persona_pb2.Role.values():
            raise invalid_argument(
                Reason.UNKNOWN_ROLE, f"recent_turns[{i}].role {turn.role} is unknown", f"request.recent_turns[{i}].role"
            )
        if turn.persona not in persona_pb2.Persona.values():
            raise invalid_argument(
                Reason.UNKNOWN_PERSONA,
                f"recent_turns[{i}].persona {turn.persona} is unknown",
                f"request.recent_turns[{i}].persona",
            )
        if len(turn.content) > max_chars:
            raise invalid_argument(
                Reason.CONTENT_TOO_LONG,
                f"recent_turns[{i}].content is longer than {max_chars}",
                f"request.recent_turns[{i}].content",
            )
    if len(inner.metadata) > max_metadata:
        raise invalid_argument(
            Reason.TOO_MANY_METADATA,
            f"{len(inner.metadata)} metadata entries; limit {max_metadata}",
            "request.metadata",
        )
    for key, value in inner.metadata.items():
        if len(key) > 128 or len(value) > 1024:
            raise invalid_argument(Reason.METADATA_TOO_LONG, f"metadata {key[:40]!r} is too long", "request.metadata")
    if inner.HasField("max_tokens") and not 1 <= inner.max_tokens <= 32_768:
        raise invalid_argument(Reason.OUT_OF_RANGE, "max_tokens must be in 1..32768", "request.max_tokens")
    if inner.HasField("temperature") and not (math.isfinite(inner.temperature) and 0.0 <= inner.temperature <= 2.0):
        raise invalid_argument(Reason.OUT_OF_RANGE, "temperature must be in 0..2", "request.temperature")
    if request.user_role and not ROLE_PATTERN.match(request.user_role):
        raise invalid_argument(Reason.INVALID_ROLE, "user_role must be a short lower-case name", "user_role")
