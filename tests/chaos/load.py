"""A bounded load loop: a few clients asking the gateway over HTTP, every answer (or its absence) recorded.

Bounded so that the machine stays responsive while processes are killed and restarted (2 cores shared
with the mesh): `clients` callers, each waiting `pause_s` between requests. A scenario reads the
outcomes afterwards, by when they started and ended relative to the fault.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx


@dataclass(frozen=True)
class Outcome:
    """One request: when it ran, its HTTP status (0: no answer at all) and how it was answered."""

    started: float
    ended: float
    status: int
    error: str = ""
    persona: str = ""
    routed: str = ""  # the persona Abi chose
    replica: str = ""
    fallback: bool = False
    degraded: bool = False

    @property
    def answered(self) -> bool:
        return self.status == 200

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def outcome_of(started: float, response: httpx.Response) -> Outcome:
    ended = time.monotonic()
    if response.status_code != 200:
        return Outcome(started, ended, response.status_code, response.text[:200])
    body: dict[str, Any] = response.json()
    return Outcome(
        started,
        ended,
        200,
        persona=str(body.get("persona", "")),
        routed=str((body.get("routing") or {}).get("persona", "")),
        replica=str(body.get("replica", "")),
        fallback=bool(body.get("fallback")),
        degraded=bool(body.get("degraded")),
    )


class Load:
    """`async with Load(http, path, questions):` keeps asking until the block ends."""

    def __init__(
        self, http: httpx.AsyncClient, path: str, questions: Sequence[str], *, clients: int = 4, pause_s: float = 0.1
    ) -> None:
        self.http = http
        self.path = path
        self.questions = questions
        self.clients = clients
        self.pause_s = pause_s
        self.outcomes: list[Outcome] = []
        self._done = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Load:
        self._tasks = [asyncio.create_task(self._client(number)) for number in range(self.clients)]
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._done.set()
        await asyncio.gather(*self._tasks)

    async def _client(self, number: int) -> None:
        for turn in itertools.count():
            if self._done.is_set():
                return
            # A distinct message each time: nothing downstream may answer from a cache.
            question = f"{self.questions[turn % len(self.questions)]} ({number}.{turn})"
            started = time.monotonic()
            try:
                response = await self.http.post(self.path, json={"content": question})
                self.outcomes.append(outcome_of(started, response))
            except httpx.HTTPError as error:
                self.outcomes.append(Outcome(started, time.monotonic(), 0, f"{type(error).__name__}: {error}"))
            await asyncio.sleep(self.pause_s)

    def started_between(self, begin: float, end: float = float("inf")) -> list[Outcome]:
        return [o for o in self.outcomes if begin <= o.started < end]

    async def first(self, good: Callable[[Outcome], bool], since: float, within: float) -> float | None:
        """Seconds from `since` until an answer started after it is `good` (None: not within `within`)."""
        deadline = since + within
        while time.monotonic() < deadline:
            found = [o.ended for o in self.started_between(since) if good(o)]
            if found:
                return min(found) - since
            await asyncio.sleep(0.1)
        return None

    async def settled(
        self, good: Callable[[Outcome], bool], since: float, within: float, hold: float = 3.0
    ) -> float | None:
        """Seconds from `since` until the answers became `good` for good: the end of the first good answer
        started after the last bad one, once `hold` seconds of answers after it were all good."""
        deadline = since + within
        while time.monotonic() < deadline:
            after = sorted(self.started_between(since), key=lambda o: o.started)
            bad = [o.started for o in after if not good(o)]
            tail = [o for o in after if not bad or o.started > bad[-1]]
            if tail and time.monotonic() - tail[0].started >= hold:
                return min(o.ended for o in tail) - since
            await asyncio.sleep(0.1)
        return None
