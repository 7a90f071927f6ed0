"""The user's side of a conversation as the services read it: their earlier messages, and those read as one text.

A feeling or a crisis is often told over several messages, none of which shows it alone; Abi reads the last few
together for the crisis signal (services/abi/conversation.py) and Abbey for the feeling (services/abbey/logic.py).
Only the user's own messages are read: the assistant's answers quote crisis lines, refusals and sympathy.
"""

from __future__ import annotations

from collections.abc import Iterable

from personamesh.v1 import persona_pb2


def user_messages(turns: Iterable[persona_pb2.Turn]) -> list[str]:
    """The user's non-empty messages among `turns`, oldest first, stripped."""
    return [text for turn in turns if turn.role == persona_pb2.ROLE_USER and (text := turn.content.strip())]


def read_together(earlier: Iterable[str], content: str) -> str:
    """Earlier messages and this one as one text: one per line, oldest first."""
    return "\n".join((*earlier, content.strip()))
