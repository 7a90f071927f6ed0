"""One chat request as every front end (HTTP, OpenAI, WebSocket, gRPC) hands it to the pipeline, validated once."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway import text
from personamesh.v1 import persona_pb2
from services.common.errors import invalid_argument
from services.common.reasons import Reason
from services.common.text import has_visible_text

MAX_ID_CHARS = 128
MAX_CONTEXT_ENTRIES = 32
MAX_CONTEXT_CHARS = 2048
MAX_TURNS = 64
MAX_TOKENS = 32_768


@dataclass
class ChatInput:
    content: str
    user_id: str = ""
    session_id: str = ""
    # Lower-case persona name the caller forced, or "" to let Abi route.
    persona: str = ""
    context: dict[str, str] = field(default_factory=dict)
    max_tokens: int | None = None
    temperature: float | None = None
    # None: use the session's remembered turns.
    recent_turns: list[persona_pb2.Turn] | None = None


def validate(chat: ChatInput, *, max_content_chars: int, known_personas: set[str]) -> None:
    """Raise INVALID_ARGUMENT with a precise reason for anything a persona should never see."""
    # Front doors refuse invalid text as it arrives; this is the last line before protobuf.
    text.check(
        {
            "content": chat.content,
            "user_id": chat.user_id,
            "session_id": chat.session_id,
            "persona": chat.persona,
            "context": chat.context,
        }
    )
    if not has_visible_text(chat.content):
        raise invalid_argument(Reason.EMPTY_CONTENT, "content must contain text", "content")
    if len(chat.content) > max_content_chars:
        raise invalid_argument(
            Reason.CONTENT_TOO_LONG,
            f"content has {len(chat.content)} characters; the limit is {max_content_chars}",
            "content",
        )
    if "\x00" in chat.content:
        raise invalid_argument(Reason.INVALID_CONTENT, "content may not contain NUL characters", "content")
    for name, value in (("user_id", chat.user_id), ("session_id", chat.session_id)):
        if len(value) > MAX_ID_CHARS:
            raise invalid_argument(Reason.ID_TOO_LONG, f"{name} is longer than {MAX_ID_CHARS} characters", name)
    if chat.persona and chat.persona not in known_personas:
        raise invalid_argument(
            Reason.UNKNOWN_PERSONA,
            f"unknown persona {chat.persona!r}; known: {', '.join(sorted(known_personas))}",
            "persona",
        )
    if chat.max_tokens is not None and not 1 <= chat.max_tokens <= MAX_TOKENS:
        raise invalid_argument(Reason.MAX_TOKENS_OUT_OF_RANGE, f"max_tokens must be in [1, {MAX_TOKENS}]", "max_tokens")
    if chat.temperature is not None and not 0.0 <= chat.temperature <= 2.0:
        raise invalid_argument(Reason.TEMPERATURE_OUT_OF_RANGE, "temperature must be in [0, 2]", "temperature")
    if len(chat.context) > MAX_CONTEXT_ENTRIES or any(
        len(k) + len(v) > MAX_CONTEXT_CHARS for k, v in chat.context.items()
    ):
        raise invalid_argument(
            Reason.CONTEXT_TOO_LARGE,
            f"context allows {MAX_CONTEXT_ENTRIES} entries of at most {MAX_CONTEXT_CHARS} characters",
            "context",
        )
    turns = chat.recent_turns or []
    if len(turns) > MAX_TURNS:
        raise invalid_argument(Reason.TOO_MANY_TURNS, f"at most {MAX_TURNS} recent turns", "recent_turns")
    if sum(len(t.content) for t in turns) > max_content_chars * 4:
        raise invalid_argument(Reason.TURNS_TOO_LONG, "recent turns are too long in total", "recent_turns")
