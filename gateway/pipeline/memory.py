"""Bounded in-process memory: recent turns per session, and answered requests for feedback.

Both are least-recently-used maps with a fixed size, so memory stays flat under load.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from cachetools import LRUCache

from personamesh.v1 import persona_pb2
from services.common.registry.wire import set_persona


class SessionTurns:
    """The last few turns of each conversation, so routing and personas see conversation history.

    A conversation is a (user, session id) pair: a session id names a conversation only within
    its user, so naming someone else's session id starts an empty conversation of one's own.
    Each remembered turn keeps at most `turn_chars` characters: enough context for
    routing, and memory stays bounded by sessions x turns x turn_chars.
    """

    def __init__(self, turns: int, sessions: int, turn_chars: int = 1000) -> None:
        self.turns = turns
        self.sessions = sessions
        self.turn_chars = turn_chars
        self._by_session: LRUCache[tuple[str, str], deque[persona_pb2.Turn]] = LRUCache(maxsize=max(sessions, 1))

    def recent(self, user_id: str, session_id: str) -> list[persona_pb2.Turn]:
        key = (user_id, session_id)
        turns = self._by_session.get(key)
        return list(turns) if turns is not None else []

    def add(self, user_id: str, session_id: str, user_text: str, answer: str, persona: str) -> None:
        if not session_id or self.turns == 0:
            return
        key = (user_id, session_id)
        turns = self._by_session.get(key)
        if turns is None:
            turns = self._by_session[key] = deque(maxlen=self.turns)
        limit = self.turn_chars
        turns.append(persona_pb2.Turn(role=persona_pb2.ROLE_USER, content=user_text[:limit]))
        answered = persona_pb2.Turn(role=persona_pb2.ROLE_ASSISTANT, content=answer[:limit])
        set_persona(answered, persona)
        turns.append(answered)

    def forget_user(self, user_id: str) -> int:
        """Drop every conversation of a user; the number dropped."""
        keys = [key for key in self._by_session if key[0] == user_id]
        for key in keys:
            del self._by_session[key]
        return len(keys)


@dataclass(frozen=True)
class AnsweredRequest:
    persona: str  # registry name
    user_id: str
    query_type: str


class AnsweredRequests:
    """request id -> who answered it, for feedback."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: LRUCache[str, AnsweredRequest] = LRUCache(maxsize=max(size, 1))

    def add(self, request_id: str, item: AnsweredRequest) -> None:
        self._items[request_id] = item

    def get(self, request_id: str) -> AnsweredRequest | None:
        return self._items.get(request_id)

    def forget_user(self, user_id: str) -> None:
        for request_id in [key for key, item in self._items.items() if item.user_id == user_id]:
            del self._items[request_id]
