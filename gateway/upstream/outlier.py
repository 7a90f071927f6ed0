"""Outlier detection for one replica, after Envoy's: eject on failures in a row, back off, re-admit on a probe.

A hung replica (SIGSTOP, a wedged event loop) keeps its port open and stays SERVING to any
watch that was open before it hung: only calls and probes with a deadline notice it. Each
timeout or error of a call or a health probe counts; `consecutive_failures` of them in a row
eject the replica for `base_ejection_seconds` x the number of times it has been ejected
(capped at `max_ejection_seconds`), so a replica that keeps relapsing stays out longer. Once
that time has passed, the first successful health probe re-admits it (Envoy re-admits
blindly when the time is up; a probe first means no request pays for a replica still hung).
The multiplier drops by one for every `max_ejection_seconds` the replica stays in rotation.
As in Envoy, at most `max_ejection_percent` of a persona's replicas are ejected at once (one at
least): when a whole machine is overloaded every replica answers late, and ejecting them all
would turn slowness into an outage.

Answers about the request itself (bad input, the caller hanging up) are not the replica's
fault and count neither way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OutlierPolicy:
    consecutive_failures: int = 3
    base_ejection_seconds: float = 5.0
    max_ejection_seconds: float = 60.0
    max_ejection_percent: float = 50.0

    def may_eject(self, ejected: int, replicas: int) -> bool:
        """Whether one more of `replicas` may be ejected while `ejected` already are."""
        return ejected < max(1, int(replicas * self.max_ejection_percent / 100.0))


class OutlierDetector:
    """The ejection state of one replica; `failure` and `success` say when it changes."""

    def __init__(self, policy: OutlierPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self.consecutive = 0
        self.ejections = 0  # the multiplier of the next ejection time, minus one
        self.ejected_until: float | None = None
        self._in_rotation_since = clock()

    @property
    def ejected(self) -> bool:
        return self.ejected_until is not None

    def ejection_seconds(self) -> float:
        """How long the next ejection lasts."""
        policy = self.policy
        return min(policy.base_ejection_seconds * (self.ejections + 1), policy.max_ejection_seconds)

    def failure(self, may_eject: bool = True) -> float | None:
        """A call or probe timed out or failed; returns the ejection time when this failure ejects.

        `may_eject` False (its persona has as many replicas ejected as allowed) keeps it in rotation;
        the next failure asks again.
        """
        self.consecutive += 1
        if self.ejected or self.consecutive < self.policy.consecutive_failures or not may_eject:
            return None
        seconds = self.ejection_seconds()
        self.ejections += 1
        self.ejected_until = self._clock() + seconds
        return seconds

    def success(self, *, probe: bool) -> bool:
        """A call or probe answered in time; True when this re-admits the replica.

        Only a probe re-admits, and only once the ejection time is over: a call that was already
        in flight when the replica was ejected says nothing about whether it answers now.
        """
        now = self._clock()
        if self.ejected_until is not None:
            if not probe or now < self.ejected_until:
                return False
            self.ejected_until = None
            self.consecutive = 0
            self._in_rotation_since = now
            return True
        self.consecutive = 0
        if self.ejections and now - self._in_rotation_since >= self.policy.max_ejection_seconds:
            self.ejections -= 1
            self._in_rotation_since = now
        return False

    def snapshot(self) -> dict[str, object]:
        remaining = None if self.ejected_until is None else max(0.0, self.ejected_until - self._clock())
        return {
            "ejected": self.ejected,
            "ejected_for_s": None if remaining is None else round(remaining, 3),
            "ejections": self.ejections,
            "consecutive_failures": self.consecutive,
        }
