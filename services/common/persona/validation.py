"""Request checks of PersonaService: INVALID_ARGUMENT with a reason for anything a persona cannot answer.

A persona trusts nothing it cannot check, the routing decision included.
"""

from __future__ import annotations

import math
from typing import Any

from personamesh.v1 import persona_pb2
from services.common.errors import invalid_argument
from services.common.persona.settings import PersonaSettings
from services.common.reasons import Reason
from services.common.text import has_visible_text


def _enum_ok(enum: Any, value: int) -> bool:
    return value in enum.values()


def _check_unit(value: float, name: str, low: float = 0.0, high: float = 1.0) -> None:
    if not math.isfinite(value) or not low <= value <= high:
        raise invalid_argument(Reason.INVALID_ROUTING, f"{name} must be a number in [{low}, {high}], got {value}", name)


def validate_routing(routing: persona_pb2.RoutingDecision) -> None:
    """The routing decision comes from Abi, but a persona trusts nothing it cannot check."""
    if not _enum_ok(persona_pb2.Persona, routing.persona):
        raise invalid_argument(
            Reason.UNKNOWN_ENUM_VALUE, f"routing.persona {routing.persona} is unknown", "routing.persona"
        )
    if not _enum_ok(persona_pb2.Tone, routing.tone):
        raise invalid_argument(Reason.UNKNOWN_ENUM_VALUE, f"routing.tone {routing.tone} is unknown", "routing.tone")
    moderation = routing.moderation
    if not _enum_ok(persona_pb2.PolicyAction, moderation.action):
        raise invalid_argument(
            Reason.UNKNOWN_ENUM_VALUE,
            f"routing.moderation.action {moderation.action} is unknown",
            "routing.moderation.action",
        )
    if not _enum_ok(persona_pb2.Severity, moderation.severity):
        raise invalid_argument(
            Reason.UNKNOWN_ENUM_VALUE,
            f"routing.moderation.severity {moderation.severity} is unknown",
            "routing.moderation.severity",
        )
    for alternative in routing.alternatives:
        if not _enum_ok(persona_pb2.Persona, alternative):
            raise invalid_argument(
                Reason.UNKNOWN_ENUM_VALUE,
                f"routing.alternatives has unknown persona {alternative}",
                "routing.alternatives",
            )
    for score in routing.scores:
        if not _enum_ok(persona_pb2.Persona, score.persona):
            raise invalid_argument(
                Reason.UNKNOWN_ENUM_VALUE, f"routing.scores has unknown persona {score.persona}", "routing.scores"
            )
        if not math.isfinite(score.score):
            raise invalid_argument(Reason.INVALID_ROUTING, "routing.scores must be finite", "routing.scores")
    _check_unit(routing.confidence, "routing.confidence")
    for emotion in routing.emotions:
        _check_unit(emotion.score, f"routing.emotions[{emotion.label}].score")
    _check_unit(routing.sentiment.polarity, "routing.sentiment.polarity", -1.0, 1.0)
    _check_unit(routing.sentiment.intensity, "routing.sentiment.intensity")
    _check_unit(routing.sentiment.urgency, "routing.sentiment.urgency")


def validate_request(request: persona_pb2.PersonaRequest, settings: PersonaSettings) -> None:
    """INVALID_ARGUMENT with an UPPER_SNAKE reason for anything a persona cannot answer."""
    content = request.content
    if not has_visible_text(content):
        raise invalid_argument(Reason.EMPTY_CONTENT, "content must contain some text", "content")
    if len(content) > settings.max_content_chars:
        raise invalid_argument(
            Reason.CONTENT_TOO_LONG,
            f"content has {len(content)} characters; the limit is {settings.max_content_chars}",
            "content",
        )
    if "\x00" in content:
        raise invalid_argument(Reason.INVALID_CHARACTERS, "content must not contain NUL characters", "content")
    for name in ("request_id", "user_id", "session_id"):
        value = getattr(request, name)
        if len(value) > settings.max_id_chars:
            raise invalid_argument(
                Reason.FIELD_TOO_LONG, f"{name} is longer than {settings.max_id_chars} characters", name
            )
        if value and (not value.isprintable() or value != value.strip()):
            raise invalid_argument(Reason.INVALID_ID, f"{name} must be printable with no surrounding blanks", name)
    if not _enum_ok(persona_pb2.Persona, request.forced_persona):
        raise invalid_argument(
            Reason.UNKNOWN_ENUM_VALUE, f"forced_persona {request.forced_persona} is unknown", "forced_persona"
        )
    if request.HasField("max_tokens") and not 1 <= request.max_tokens <= settings.max_tokens_limit:
        raise invalid_argument(
            Reason.INVALID_MAX_TOKENS,
            f"max_tokens must be between 1 and {settings.max_tokens_limit}, got {request.max_tokens}",
            "max_tokens",
        )
    if request.HasField("temperature") and (
        not math.isfinite(request.temperature) or not 0.0 <= request.temperature <= 2.0
    ):
        raise invalid_argument(
            Reason.INVALID_TEMPERATURE, f"temperature must be in [0, 2], got {request.temperature}", "temperature"
        )
    if len(request.recent_turns) > settings.max_turns:
        raise invalid_argument(
            Reason.TOO_MANY_TURNS, f"at most {settings.max_turns} recent turns are accepted", "recent_turns"
        )
    for index, turn in enumerate(request.recent_turns):
        if not _enum_ok(persona_pb2.Role, turn.role) or not _enum_ok(persona_pb2.Persona, turn.persona):
            raise invalid_argument(
                Reason.UNKNOWN_ENUM_VALUE, f"recent_turns[{index}] has an unknown enum value", "recent_turns"
            )
        if len(turn.content) > settings.max_content_chars:
            raise invalid_argument(
                Reason.CONTENT_TOO_LONG, f"recent_turns[{index}].content is too long", "recent_turns"
            )
    if len(request.metadata) > settings.max_metadata_entries:
        raise invalid_argument(
            Reason.METADATA_TOO_LARGE, f"at most {settings.max_metadata_entries} metadata entries", "metadata"
        )
    for key, value in request.metadata.items():
        if len(key) > settings.max_metadata_chars or len(value) > settings.max_metadata_chars:
            raise invalid_argument(Reason.METADATA_TOO_LARGE, f"metadata entry {key[:40]!r} is too long", "metadata")
    if request.HasField("routing"):
        validate_routing(request.routing)
