"""An asyncio-safe circuit breaker on top of pybreaker.

pybreaker 1.4.1 has no asyncio support: decorating an `async def` counts
nothing, and `call_async` needs Tornado. Its `calling()` context manager does
work around an `await`, so this wrapper keeps pybreaker's state machine and
counters and adds what async callers need: at most one half-open probe at a
time (pybreaker lets every caller through once the timeout has passed),
`CancelledError` not counted as a failure, the original error re-raised when
the breaker trips, and a listener hook for metrics.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any


@contextmanager
def _redis_hidden() -> Iterator[None]:
    """Makes `import redis` fail as if it were absent (a None entry in sys.modules), unless already imported.

    pybreaker offers a redis-backed breaker storage this mesh does not use (each process keeps its own
    breakers), yet importing pybreaker imports redis whenever it is installed and, through redis,
    OpenTelemetry's metrics SDK: ~11 MiB and ~0.2 s in every service. The gateway installs redis for
    shared rate limits, so it is hidden only while pybreaker loads.
    """
    if "redis" in sys.modules:
        yield
        return
    sys.modules["redis"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        del sys.modules["redis"]


with _redis_hidden():
    import pybreaker

CLOSED = pybreaker.STATE_CLOSED
OPEN = pybreaker.STATE_OPEN
HALF_OPEN = pybreaker.STATE_HALF_OPEN


class BreakerOpenError(Exception):
    """The breaker refused the call without trying it."""

    def __init__(self, name: str) -> None:
        super().__init__(f"circuit breaker {name!r} is open")
        self.name = name


class _StateListener(pybreaker.CircuitBreakerListener):
    def __init__(self, callback: Callable[[str, str, str], None]) -> None:
        self._callback = callback

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        self._callback(cb.name or "", old_state.name if old_state else "", new_state.name)


class AsyncCircuitBreaker:
    """Guards awaited calls: `async with breaker.guard(): await call()`."""

    def __init__(
        self,
        name: str,
        *,
        fail_max: int = 5,
        reset_timeout: float = 30.0,
        success_threshold: int = 2,
        exclude: Iterable[type[BaseException] | Callable[[BaseException], bool]] = (),
        on_state_change: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.name = name
        listeners = [_StateListener(on_state_change)] if on_state_change else []
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            success_threshold=success_threshold,
            exclude=[asyncio.CancelledError, *exclude],
            listeners=listeners,
            name=name,
            throw_new_error_on_trip=False,
        )
        self._probe_in_flight = False

    @property
    def state(self) -> str:
        """ "closed", "open" or "half-open"."""
        return str(self._breaker.current_state)

    @property
    def fail_counter(self) -> int:
        return int(self._breaker.fail_counter)

    def _timeout_elapsed(self) -> bool:
        opened_at = self._breaker._state_storage.opened_at
        if opened_at is None:
            return True
        return bool(datetime.now(UTC) >= opened_at + timedelta(seconds=self._breaker.reset_timeout))

    def allows_call(self) -> bool:
        """Whether a call made now would be tried (no side effects)."""
        state = self.state
        if state == CLOSED:
            return True
        if self._probe_in_flight:
            return False
        return state == HALF_OPEN or self._timeout_elapsed()

    @asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        """Run the body under the breaker; raises BreakerOpenError when it refuses."""
        probing = self.state != CLOSED
        if probing:
            if not self.allows_call():
                raise BreakerOpenError(self.name)
            self._probe_in_flight = True
        try:
            with self._breaker.calling():
                yield
        except pybreaker.CircuitBreakerError as error:
            raise BreakerOpenError(self.name) from error
        finally:
            if probing:
                self._probe_in_flight = False

    def half_open(self) -> None:
        """Let the next call through as a probe now (a health check has just shown the callee answers)."""
        if self.state == OPEN:
            self._breaker.half_open()

    def reset(self) -> None:
        """Close the breaker (an operator action, or a replica reported healthy again)."""
        self._breaker.close()
