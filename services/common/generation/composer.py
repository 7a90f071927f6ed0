"""The default backend: no model, the persona's own draft streamed in word-sized deltas.

Personas compose the draft deterministically from templates, memory and
retrieved knowledge, so the same input and knowledge give the same answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator

from services.common.generation.base import GenerationOutcome, GenerationRequest

# A word with the whitespace that follows it, so deltas concatenate back to the exact draft.
_WORD = re.compile(r"\S+\s*|\s+")


def limit_words(text: str, max_words: int) -> str:
    """The first `max_words` words of `text` (a word never costs less than one token)."""
    words = _WORD.findall(text)
    if len(words) <= max_words:
        return text
    return "".join(words[:max_words]).rstrip()


def chunk_text(text: str, max_chars: int = 32) -> list[str]:
    """Split at word boundaries into pieces of about `max_chars`; joining them gives `text` back."""
    chunks: list[str] = []
    current = ""
    for word in _WORD.findall(text):
        if current and len(current) + len(word) > max_chars:
            chunks.append(current)
            current = ""
        current += word
    if current:
        chunks.append(current)
    return chunks


class ComposerBackend:
    """Streams `request.draft`, cut to `max_tokens` words."""

    def __init__(self, chunk_chars: int = 32) -> None:
        self._chunk_chars = chunk_chars

    @property
    def name(self) -> str:
        return "composer"

    async def stream(self, request: GenerationRequest, outcome: GenerationOutcome) -> AsyncGenerator[str, None]:
        outcome.backend = self.name
        text = limit_words(request.draft, request.max_tokens)
        outcome.finish_reason = "length" if text != request.draft else "stop"
        for piece in chunk_text(text, self._chunk_chars):
            yield piece
            await asyncio.sleep(0)  # let other calls run between deltas

    async def complete(self, request: GenerationRequest, outcome: GenerationOutcome) -> str:
        outcome.backend = self.name
        text = limit_words(request.draft, request.max_tokens)
        outcome.finish_reason = "length" if text != request.draft else "stop"
        return text

    async def close(self) -> None:
        return None
