"""Dynamic micro-batching: concurrent callers share one blocking batch call.

Callers `submit` a few items and await their results. One worker drains the
queue: it takes everything waiting (up to `max_items`), waits up to
`max_wait_s` for more only while the batch is still small, runs the blocking
function once in a thread and hands each caller its slice. While a batch runs,
new work queues up, so batches grow with load and a lone caller pays almost
nothing extra. `workers` batches may run at once (one per core keeps every
core busy even when the model's own threads cannot). Used for the model (many texts, one ONNX run) and for store
writes (many rows, one insert and one flush: group commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Pending(Generic[Item, Result]):
    items: Sequence[Item]
    future: asyncio.Future[list[Result]]
    queued_at: float = field(default_factory=time.perf_counter)


class MicroBatcher(Generic[Item, Result]):
    """Groups concurrent submissions into calls of `process(items) -> results` (same length, same order)."""

    def __init__(
        self,
        process: Callable[[list[Item]], list[Result]],
        executor: Executor | None,
        *,
        max_items: int,
        max_wait_s: float,
        workers: int = 1,
    ) -> None:
        self._process = process
        self._executor = executor
        self._max_items = max(1, max_items)
        self._max_wait_s = max(0.0, max_wait_s)
        self._queue: asyncio.Queue[_Pending[Item, Result]] = asyncio.Queue()
        self._workers_wanted = max(1, workers)
        self._workers: list[asyncio.Task[None]] = []
        self.batches = 0
        self.items = 0

    async def submit(self, items: Sequence[Item]) -> list[Result]:
        if not items:
            return []
        self._workers = [task for task in self._workers if not task.done()]
        while len(self._workers) < self._workers_wanted:
            self._workers.append(asyncio.get_running_loop().create_task(self._run(), name="micro-batcher"))
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(items, future))
        return await future

    async def close(self) -> None:
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers = []

    async def _gather(self) -> list[_Pending[Item, Result]]:
        """One batch: what is queued now, plus what arrives within the wait window while it is small."""
        group = [await self._queue.get()]
        size = len(group[0].items)
        deadline = time.perf_counter() + self._max_wait_s
        while size < self._max_items:
            if self._queue.empty():
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    pending = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            else:
                pending = self._queue.get_nowait()
            group.append(pending)
            size += len(pending.items)
        return group

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            group = await self._gather()
            flat: list[Item] = [item for pending in group for item in pending.items]
            try:
                results = await loop.run_in_executor(self._executor, self._process, flat)
            except Exception as error:  # every caller of the batch sees the failure
                for pending in group:
                    if not pending.future.done():
                        pending.future.set_exception(error)
                continue
            self.batches += 1
            self.items += len(flat)
            offset = 0
            for pending in group:
                count = len(pending.items)
                if not pending.future.done():
                    pending.future.set_result(results[offset : offset + count])
                offset += count
