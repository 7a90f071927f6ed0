"""Session memory for routing hysteresis: which persona is talking in a session, bounded and expiring."""

from __future__ import annotations

import time

from cachetools import TTLCache


class SessionMemory:
    """Session key -> persona: at most `capacity` sessions (least recently used leave first), each for `ttl` s."""

    def __init__(self, capacity: int = 50_000, ttl: float = 1800.0) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._items: TTLCache[str, str] = TTLCache(maxsize=max(capacity, 1), ttl=ttl, timer=time.monotonic)

    def get(self, key: str) -> str | None:
        return self._items.get(key)

    def put(self, key: str, persona: str) -> None:
        if self.capacity > 0:
            self._items[key] = persona

    def __len__(self) -> int:
        return len(self._items)
