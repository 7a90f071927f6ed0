"""Settings every persona process reads (`PM_*`)."""

from __future__ import annotations

from pydantic import Field

from services.common.generation import (
    GenerationSettings,
)
from services.common.safety.settings import SafetySettings


class PersonaSettings(GenerationSettings, SafetySettings):
    """Settings every persona process reads (`PM_*`)."""

    index_timeout_seconds: float = Field(0.8, description="Deadline of one call to the embedding index.")
    focus_query: bool = Field(
        True,
        description="Search (and rerank) the knowledge by a long message's ask (over 25 words): the "
        "question or instruction sentences, the one before, and the code it mentions "
        "(services/common/generation/focus.py).",
    )
    max_turns: int = Field(50, description="Most earlier turns accepted in recent_turns.")
    max_id_chars: int = Field(256, description="Longest request_id, user_id or session_id accepted.")
    max_tokens_limit: int = Field(8192, description="Largest max_tokens a caller may ask for.")
    default_max_tokens: int = Field(512, description="max_tokens when the caller sets none.")
    max_metadata_entries: int = Field(64, description="Most metadata entries accepted.")
    max_metadata_chars: int = Field(2048, description="Longest metadata key or value accepted.")
    code_check_max_blocks: int = Field(
        64, description="Code blocks of one answer checked by a parser; later blocks are reported unchecked."
    )
    code_check_workers: int = Field(2, description="Threads that parse code blocks, shared by the whole process.")
    deadline_margin_seconds: float = Field(
        0.05, description="Time kept back from the caller's deadline to send the final event."
    )
    small_talk_head: bool = Field(
        True,
        description='Read a short message the closed list of small talk misses ("nice one, that worked", "lol ok") '
        "with the learned head (services/common/persona/models/small_talk.json) on its sentence vector, so it is "
        "answered in kind.",
    )
    emergency_head: bool = Field(
        True,
        description="Recognise emergencies the patterns have no words for with the learned head "
        "(services/common/safety/emergency_head.json) on the message's sentence vector, which the knowledge search "
        "returns (a long message searched by its ask costs one Embed call).",
    )
