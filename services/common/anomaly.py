"""Routing anomaly detection: a sudden shift in persona shares or block rate against a moving baseline.

Every routing decision is one observation of a category: the persona it was sent to, or `blocked`
when moderation stopped it. Observations are counted in windows; a window closes once it is at
least `window_seconds` old *and* holds at least `min_count` decisions (at low traffic a window
lasts longer, so a handful of requests never looks like a shift).

When a window closes:

- its shares are p_i = n_i / n for every category i;
- the anomaly score is the largest absolute difference between those shares and the baseline,
  max_i |p_i - b_i| (0.30 means some persona's share, or the block rate, moved by 30 points);
- the baseline is an exponentially weighted moving average of past windows' shares,
  b_i <- (1 - alpha) * b_i + alpha * p_i, so it forgets a change after about 1/alpha windows.

The first `warmup_windows` windows only build the baseline (score 0). The score is exported as
the gauge `pm_gateway_routing_anomaly_score`; the `PersonaMeshRoutingAnomaly` alert fires when it
stays above 0.25 (docs/observability.md). With the defaults (60 s, 50 decisions, alpha 0.1) the
binomial noise of a 50/50 share over 50 decisions has a standard deviation of 0.07, so 0.25 is
more than three standard deviations from a stable mix.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

BLOCKED = "blocked"


@dataclass
class WindowResult:
    """What one closed window measured."""

    score: float
    shares: dict[str, float]
    baseline: dict[str, float]
    count: int


@dataclass
class ShareShiftDetector:
    """Persona shares (and the block rate) per window against an EWMA baseline; thread-safe."""

    window_seconds: float = 60.0
    min_count: int = 50
    alpha: float = 0.1
    warmup_windows: int = 3
    clock: Callable[[], float] = time.monotonic
    on_window: Callable[[WindowResult], None] | None = None
    categories: set[str] = field(default_factory=set)
    baseline: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    windows: int = 0
    _counts: Counter[str] = field(default_factory=Counter)
    _started: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError("alpha must be in (0, 1]")
        if self.window_seconds <= 0 or self.min_count < 1:
            raise ValueError("window_seconds must be > 0 and min_count >= 1")

    def known(self, categories: Iterable[str]) -> None:
        """Declare categories up front (a persona that gets no traffic still has a share: 0)."""
        with self._lock:
            self.categories.update(categories)

    def observe(self, category: str) -> WindowResult | None:
        """Count one decision; returns the window's result when this observation closed it."""
        with self._lock:
            now = self.clock()
            if self._started is None:
                self._started = now
            self.categories.add(category)
            self._counts[category] += 1
            total = sum(self._counts.values())
            if now - self._started < self.window_seconds or total < self.min_count:
                return None
            result = self._close(total)
            self._counts.clear()
            self._started = now
        if self.on_window is not None:
            self.on_window(result)
        return result

    def _close(self, total: int) -> WindowResult:
        shares = {name: self._counts.get(name, 0) / total for name in sorted(self.categories)}
        if self.windows < self.warmup_windows:
            # Warm-up: the baseline is the plain mean of the windows seen so far.
            weight = 1.0 / (self.windows + 1)
            self.score = 0.0
        else:
            self.score = max(abs(shares[name] - self.baseline.get(name, 0.0)) for name in shares)
            weight = self.alpha
        for name, share in shares.items():
            self.baseline[name] = (1.0 - weight) * self.baseline.get(name, 0.0) + weight * share
        self.windows += 1
        return WindowResult(round(self.score, 6), shares, dict(self.baseline), total)
