"""Session memory for routing hysteresis: which persona is talking in a session, bounded and expiring."""

from __future__ import annotations

import time
from collections import OrderedDict


class SessionMemory:
    """LRU map of session key -> (persona, last seen); at most `capacity` sessions, each kept `ttl` seconds."""

    def __init__(self, capacity: int = 50_000, ttl: float = 1800.0) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def get(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        persona, seen = item
        if time.monotonic() - seen > self.ttl:
            del self._items[key]
            return None
        return persona

    def put(self, key: str, persona: str) -> None:
        self._items[key] = (persona, time.monotonic())
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
