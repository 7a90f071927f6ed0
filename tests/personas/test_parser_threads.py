"""Python code checks are safe from threads: CPython 3.11's `ast.parse` is not (python/cpython#106905).

Its AST constructor keeps one recursion counter per interpreter. When a garbage collection inside one
thread's parse runs a finaliser that lets another thread parse, the first parse fails with
"SystemError: AST constructor recursion depth mismatch". The code-check pool runs two threads, so an
answer's check failed this way once in CI. Here the interleaving is forced: a finaliser that runs during
the main thread's parse hands the turn to a second thread and waits (briefly) for its parse.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from services.common import parsers

LONG_BLOCK = "\n".join(f"value_{j} = compute(7, limit={j + 1})" for j in range(200))


class _Interleaver:
    """Makes every garbage collection during the main thread's parse run one parse in another thread."""

    def __init__(self) -> None:
        self.active = False
        self.handoffs = 0
        self.results: list[parsers.CodeCheck | BaseException] = []
        self._turn = threading.Event()
        self._done = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._other, daemon=True)

    def _other(self) -> None:
        while self._turn.wait() and not self._stop:
            self._turn.clear()
            try:
                self.results.append(parsers.check("python", "x = [1, (2, {3: 4})]"))
            except BaseException as error:  # the test reports whatever the parse raised
                self.results.append(error)
            self._done.set()

    def hand_over(self) -> None:
        if self.active and threading.current_thread() is threading.main_thread():
            self.handoffs += 1
            self._done.clear()
            self._turn.set()
            self._done.wait(0.005)  # a blocked parse (the fix) is not waited for

    def finish(self) -> None:
        """Stop handing over; wait for the other thread's last parse (blocked until ours ended, with the fix)."""
        self.active = False
        self._done.wait(5)

    def __enter__(self) -> _Interleaver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.active, self._stop = False, True
        self._turn.set()
        self._thread.join(5)


class _Garbage:
    """Cyclic garbage whose finaliser hands over, then leaves fresh garbage for the next collection."""

    def __init__(self, interleaver: _Interleaver) -> None:
        self.interleaver = interleaver
        self.cycle = self

    def __del__(self) -> None:
        if self.interleaver.active:
            self.interleaver.hand_over()
            _Garbage(self.interleaver)


@pytest.fixture
def frequent_collections() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.set_threshold(20)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("frequent_collections")
def test_a_parse_interrupted_by_another_threads_parse_still_succeeds() -> None:
    with _Interleaver() as interleaver:
        _Garbage(interleaver)
        interleaver.active = True
        result = parsers.check("python", LONG_BLOCK)
        interleaver.finish()
    assert interleaver.handoffs > 10  # the collections really ran inside the parse
    assert result is parsers.CodeCheck.VALID
    assert interleaver.results and all(r is parsers.CodeCheck.VALID for r in interleaver.results), interleaver.results
