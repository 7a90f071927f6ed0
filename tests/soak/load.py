"""Traffic at a fixed rate (open loop): request i is sent at start + i / rate, whether or not earlier ones are done.

A closed loop (send the next when the last returns) slows down when the mesh does and hides exactly the
pile-up a soak is for. The mix is what users send: chats Abi routes, chats to a named persona, and
streamed answers, from a fixed set of users (a mesh with a bounded set of users should reach a steady
state; memory that keeps growing then is a leak, not data).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from gateway.sdk.client import AsyncClient
from gateway.sdk.errors import PersonaMeshError

MESSAGES = (
    "How do I reverse a list in Python?",
    "I feel stuck on my project and a bit anxious about the deadline. Any advice?",
    "What is the difference between a process and a thread?",
    "My code keeps failing and I'm so frustrated, I don't know what to do anymore.",
    "Explain how a hash map handles collisions.",
    "Thanks, that really helped me feel calmer today.",
    "Why does my SQL query with a LEFT JOIN return duplicate rows?",
    "Can you help me plan a difficult conversation with my manager?",
)
USERS = 32


@dataclass
class LoadStats:
    """What the load loop saw: requests sent, answered, failed (by reason), and latencies in seconds."""

    sent: int = 0
    answered: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    skipped: int = 0  # not sent because too many were still in flight: the mesh fell behind the rate
    latencies_s: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies_s)

        def pct(q: float) -> float:
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0

        return {
            "sent": self.sent,
            "answered": self.answered,
            "failed": sum(self.failed.values()),
            "failed_by_reason": dict(self.failed),
            "skipped_overloaded": self.skipped,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
        }


async def one_request(client: AsyncClient, i: int) -> None:
    """Request i of the mix: 3 in 5 routed by Abi, 1 in 5 to a named persona, 1 in 5 streamed."""
    content = MESSAGES[i % len(MESSAGES)]
    user = f"soak-user-{i % USERS}"
    kind = i % 5
    if kind == 3:
        await client.chat(content, persona="aviva" if i % 2 else "abbey", user_id=user, session_id=user)
    elif kind == 4:
        text = "".join([delta async for delta in client.stream(content, user_id=user)])
        if not text:
            raise PersonaMeshError(200, "EMPTY_STREAM", "the stream ended without any text")
    else:
        await client.chat(content, user_id=user, session_id=user)


async def run_load(url: str, rate: float, seconds: float, max_in_flight: int = 64) -> LoadStats:
    """Send `rate` requests per second for `seconds`, then wait (bounded) for the ones still in flight."""
    stats = LoadStats()
    in_flight: set[asyncio.Task[None]] = set()
    async with AsyncClient(url, timeout=60) as client:

        async def timed(i: int) -> None:
            started = time.perf_counter()
            try:
                await one_request(client, i)
            except PersonaMeshError as error:
                stats.failed[error.reason] += 1
            except Exception as error:  # a transport error is a lost request too; count it, keep the load going
                stats.failed[type(error).__name__] += 1
            else:
                stats.answered += 1
                stats.latencies_s.append(time.perf_counter() - started)

        start = time.monotonic()
        total = int(rate * seconds)
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(in_flight) >= max_in_flight:
                stats.skipped += 1
                continue
            stats.sent += 1
            task = asyncio.create_task(timed(i))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.wait(in_flight, timeout=60)
    return stats
