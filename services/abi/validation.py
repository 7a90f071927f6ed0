"""Request checks: bad input becomes INVALID_ARGUMENT with a reason, never INTERNAL."""

from __future__ import annotations

import math
import re

from personamesh.v1 import abi_service_pb2, persona_pb2
from services.common.errors import invalid_argument
from services.common.reasons import Reason
from services.common.registry import persona_label, persona_registry
from services.common.text import has_visible_text

ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_PERSONA_NAME = 64


def check_text(text: str, field: str, max_chars: int) -> None:
    if not has_visible_text(text):
        raise invalid_argument(Reason.EMPTY_CONTENT, f"{field} is empty", field)
    if len(text) > max_chars:
        raise invalid_argument(
            Reason.CONTENT_TOO_LONG, f"{field} has {len(text)} characters; the limit is {max_chars}", field
        )
    if "\x00" in text:
        raise invalid_argument(Reason.INVALID_CHARACTERS, f"{field} contains NUL characters", field)


def forced_persona(inner: persona_pb2.PersonaRequest) -> str:
    """The registry name of the persona the caller asked for ("" to route); INVALID_ARGUMENT for any other."""
    registry = persona_registry()
    name = persona_label(inner.forced_persona, inner.forced_persona_name)
    field = "request.forced_persona_name" if inner.forced_persona_name else "request.forced_persona"
    if not name and inner.forced_persona != persona_pb2.PERSONA_UNSPECIFIED:
        raise invalid_argument(
            Reason.UNKNOWN_PERSONA, f"forced_persona {inner.forced_persona} is not a known persona", field
        )
    if name == registry.moderator:
        raise invalid_argument(
            "PERSONA_NOT_ROUTABLE",
            f"{name} moderates and cannot be asked for; use one of {', '.join(registry.answering)}",
            field,
        )
    if len(name) > MAX_PERSONA_NAME:
        raise invalid_argument(Reason.INVALID_PERSONA_NAME, f"at most {MAX_PERSONA_NAME} characters", field)
    # A name outside this registry may be a persona the gateway registered at run time: the gateway
    # honours the caller's choice after routing, so Abi routes as if none was asked for.
    return name if registry.is_answering(name) else ""


def last_assistant_persona(inner: persona_pb2.PersonaRequest) -> str:
    """Who answered the latest assistant turn (for session hysteresis); "" when none did."""
    for turn in reversed(inner.recent_turns):
        if turn.role == persona_pb2.ROLE_ASSISTANT:
            return persona_label(turn.persona, turn.persona_name)
    return ""


def check_route_request(
    request: abi_service_pb2.RouteRequest, *, max_chars: int, max_turns: int, max_metadata: int
) -> None:
    if not request.HasField("request"):
        raise invalid_argument(Reason.MISSING_REQUEST, "request is required", "request")
    inner = request.request
    check_text(inner.content, "request.content", max_chars)
    forced_persona(inner)
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
        if len(turn.persona_name) > MAX_PERSONA_NAME:
            raise invalid_argument(
                Reason.INVALID_PERSONA_NAME,
                f"recent_turns[{i}].persona_name is longer than {MAX_PERSONA_NAME}",
                f"request.recent_turns[{i}].persona_name",
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
